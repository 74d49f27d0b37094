/**
 * `ai-app-cicd` as a child process, no services needed: help for the tool and every command,
 * usage errors (exit 2), and a failure as one line on stderr plus parseable JSON with --json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appSettings, sandboxKnobs } from '../../tools/sandbox/settings.js';
import { jsonOf, runCli } from './support.js';

const COMMANDS = [
  ['publish-model'],
  ['setup'],
  ['doctor'],
  ['flows'],
  ['flows', 'show'],
  ['flows', 'current'],
  ['promote'],
  ['rollback'],
  ['replay-poison'],
] as const;

describe('ai-app-cicd --help', () => {
  it('lists every command, and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const [command] of COMMANDS) expect(result.stdout).toContain(command);
    expect(result.stdout).toContain('--json');
  });

  it.each(COMMANDS.map((command) => [command.join(' '), command] as const))(
    'explains %s',
    async (_name, command) => {
      const result = await runCli([...command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: ai-app-cicd ${command.join(' ')} `));
      expect(result.stderr).toBe('');
    },
  );

  it('is the package bin, run by npx in the repository', () => {
    const manifest: unknown = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    );
    expect(manifest).toMatchObject({ bin: { 'ai-app-cicd': 'bin/ai-app-cicd.mjs' } });
  });
});

describe('ai-app-cicd usage and failures', () => {
  it('exits 2 on a usage error, saying what is missing', async () => {
    const result = await runCli(['publish-model', 'somewhere']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("required option '--version <version>'");
  });

  it('refuses a limit out of bounds as a usage error', async () => {
    const result = await runCli(['replay-poison', '--limit', '1001']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('must be a whole number from 1 to 1000');
  });

  it('fails on missing settings with one line naming the setting, and JSON when asked', async () => {
    const text = await runCli(['flows']);
    expect(text.code).toBe(1);
    expect(text.stderr.trim().split('\n')).toHaveLength(1);
    expect(text.stderr).toMatch(/^ai-app-cicd: Setting \w+ is required/);

    const json = await runCli(['flows', '--json']);
    expect(json.code).toBe(1);
    expect(jsonOf(json)).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
  });

  it('refuses an unresolved Key Vault reference as the app does', async () => {
    const valid = appSettings(
      {},
      {
        orgUrl: 'http://127.0.0.1:9/sandbox',
        connectionString: 'UseDevelopmentStorage=true',
        knobs: sandboxKnobs({}),
      },
    );
    const result = await runCli(['doctor', '--json'], {
      env: {
        ...valid,
        SERVICE_HOOK_PASSWORD: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)',
      },
    });
    expect(result.code).toBe(1);
    expect(jsonOf(result).steps).toEqual([
      expect.objectContaining({
        name: 'settings',
        status: 'failed',
        detail: expect.stringContaining('SERVICE_HOOK_PASSWORD is an unresolved Key Vault reference'),
      }),
    ]);
    expect(result.stdout).not.toContain('vault.azure.net');
  });
});
