/** How the CLI answers: lines for people, one JSON document with `--json`; a failure is one line and an exit code. */
import { ConfigError } from '../config.js';
import { describeError, InfrastructureError } from '../errors.js';
import type { Step } from '../usecases/setUp.js';
import { SettingsFileError } from './settings.js';

/** A failure the CLI reports as it is: one line, an exit code (1, or 2 for a usage error). */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly code = 'FAILED',
    readonly exitCode = 1,
    /** The command printed its result (e.g. the checks) already: only the reason line is left to say. */
    readonly resultPrinted = false,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

export interface Output {
  readonly json: boolean;
  /** A line for people (text mode only). */
  line(text: string): void;
  /** The command's result: `text` for people, `value` for `--json`. */
  result(text: string, value: unknown): void;
}

export function output(
  json: boolean,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Output {
  return {
    json,
    line: (text) => {
      if (!json) write(`${text}\n`);
    },
    result: (text, value) => {
      write(json ? `${JSON.stringify(value, null, 2)}\n` : text === '' ? '' : `${text}\n`);
    },
  };
}

/** One line saying what went wrong, and a stable code for scripts. */
export function failureOf(error: unknown): {
  readonly code: string;
  readonly message: string;
  readonly exitCode: number;
} {
  if (error instanceof CliFailure)
    return { code: error.code, message: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigError)
    return {
      code: error.code,
      message: `${error.message} (see the settings table in README.md)`,
      exitCode: 1,
    };
  if (error instanceof SettingsFileError)
    return { code: 'SETTINGS_FILE_INVALID', message: error.message, exitCode: 1 };
  if (error instanceof InfrastructureError) {
    const cause =
      error.cause instanceof Error && error.cause.message !== ''
        ? `: ${error.cause.message.split('\n')[0] ?? ''}`
        : '';
    return { code: error.code, message: `${error.message}${cause}`, exitCode: 1 };
  }
  return {
    code: 'UNEXPECTED',
    message: describeError(error).split('\n')[0] ?? 'unexpected error',
    exitCode: 1,
  };
}

const MARKS: Readonly<Record<Step['status'], string>> = {
  ok: '✓',
  created: '✓',
  updated: '✓',
  unchanged: '✓',
  skipped: '–',
  failed: '✗',
};

/** A step on one line: ✓/✗, what, how it went, and the fix when it failed. */
export function stepLine(step: Step): string {
  const how =
    step.status === 'ok' || step.status === 'failed' || step.status === 'skipped' ? '' : `${step.status}: `;
  const fix = step.fix === undefined ? '' : ` — fix: ${step.fix}`;
  return `${MARKS[step.status]} ${step.name}: ${how}${step.detail}${fix}`;
}
