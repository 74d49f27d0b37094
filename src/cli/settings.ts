/**
 * The settings the CLI runs with: the app's own (`loadConfig`), from the environment, or from a
 * `local.settings.json`'s `Values` as the Functions host reads it locally (the environment wins).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isObject } from '../core/guards.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The file the Functions host (and `npm run host`) reads locally: in the working directory. */
export const LOCAL_SETTINGS_FILE = 'local.settings.json';

export class SettingsFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file} ${problem}`);
    this.name = 'SettingsFileError';
  }
}

/** A `local.settings.json`'s `Values` (strings only); `undefined` when the file does not exist. */
export function readLocalSettings(file: string): Readonly<Record<string, string>> | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SettingsFileError(
      file,
      `is not JSON: ${error instanceof Error ? error.message : 'unreadable'}`,
    );
  }
  if (!isObject(parsed)) throw new SettingsFileError(file, 'is not a JSON object');
  const values = parsed.Values;
  if (values === undefined) return {};
  if (!isObject(values)) throw new SettingsFileError(file, 'has a "Values" that is not an object');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values))
    if (typeof value === 'string' && value !== '') out[name] = value;
  return out;
}

/** The environment, with the file's values for the settings the environment does not set (as Core Tools does). */
export function withLocalSettings(env: Env, values: Readonly<Record<string, string>>): Env {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(values)) if (env[name] === undefined) merged[name] = value;
  return merged;
}
