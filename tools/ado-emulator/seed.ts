/** Validation of project seeds (programmatic, control API and CLI). */
import { isPositiveInt, isRecord } from './json.js';
import type { EmulatorProjectSeed } from './types.js';

export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

const NAME = /^[^/\\?#%*:|"<>]{1,64}$/;

function validName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '' || !NAME.test(value) || value.trim() !== value)
    throw new SeedError(
      `${what} must be a non-empty name without / \\ ? # % * : | " < > or surrounding spaces`,
    );
  return value;
}

function idNames(value: unknown, what: string): { id: number; name: string }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SeedError(`${what} must be an array of { id, name }`);
  return value.map((item, i) => {
    if (
      !isRecord(item) ||
      !isPositiveInt(item.id) ||
      typeof item.name !== 'string' ||
      item.name.trim() === ''
    )
      throw new SeedError(`${what}[${i}] must be { id: positive integer, name: non-empty string }`);
    return { id: item.id, name: item.name };
  });
}

export function parseSeed(input: unknown): EmulatorProjectSeed {
  if (!isRecord(input))
    throw new SeedError('seed must be an object { org, project, pipelines?, releaseDefinitions? }');
  const org = validName(input.org, 'org');
  if (['vsrm', '_emulator', '_apis'].includes(org.toLowerCase()))
    throw new SeedError(`org name '${org}' is reserved by the emulator`);
  const project = validName(input.project, 'project');
  if (project.toLowerCase() === '_apis') throw new SeedError(`project name '${project}' is reserved`);
  return {
    org,
    project,
    pipelines: idNames(input.pipelines, 'pipelines'),
    releaseDefinitions: idNames(input.releaseDefinitions, 'releaseDefinitions'),
  };
}

/** Parses `12:name` (CLI form). */
export function parseIdName(text: string, what: string): { id: number; name: string } {
  const colon = text.indexOf(':');
  const id = Number(text.slice(0, colon));
  const name = text.slice(colon + 1).trim();
  if (colon <= 0 || !isPositiveInt(id) || name === '')
    throw new SeedError(`${what} must look like <id>:<name>, got '${text}'`);
  return { id, name };
}
