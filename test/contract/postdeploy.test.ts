/**
 * infra/hooks/postdeploy.sh, run for real with sh against a stand-in `az` that answers like the
 * Azure CLI: App Service's config reference API (the real response shape, filtered with the hook's
 * own JMESPath query), the function listing, restart and the deployment. Checks that an unresolved
 * Key Vault reference costs exactly one restart, that a reference still unresolved fails the hook
 * before Event Grid is touched, and that the Event Grid subscription is deployed from
 * infra/eventgrid.bicep once the function is listed. postdeploy.ps1 does the same on Windows.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readText, repoPath } from './support.js';

const work = mkdtempSync(join(tmpdir(), 'postdeploy-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const APP_ID = '/subscriptions/0000/resourceGroups/rg-test/providers/Microsoft.Web/sites/func-test';
const QUERY = "value[?properties.status!='Resolved'].name";

/** The stand-in: node, so it can apply the one JMESPath filter the hook uses to a real-shaped body. */
const fakeAz = `#!${process.execPath}
const fs = require('fs');
const dir = ${JSON.stringify(work)};
const args = process.argv.slice(2);
fs.appendFileSync(dir + '/calls.log', JSON.stringify(args) + '\\n');
const option = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const next = (name) => {
  const file = dir + '/' + name + '.json';
  const queue = JSON.parse(fs.readFileSync(file, 'utf8'));
  const head = queue.length > 1 ? queue.shift() : queue[0];
  fs.writeFileSync(file, JSON.stringify(queue));
  return head;
};
const [group, verb] = args;
if (group === 'account') process.exit(0);
if (group === 'functionapp' && verb === 'show') { console.log(${JSON.stringify(APP_ID)}); process.exit(0); }
if (group === 'functionapp' && verb === 'restart') process.exit(0);
if (group === 'deployment') process.exit(0);
if (group === 'rest') {
  const uri = option('--uri');
  if (uri === ${JSON.stringify(APP_ID)} + '/config/configreferences/appsettings?api-version=2024-04-01') {
    if (option('--query') !== ${JSON.stringify(QUERY)}) { console.error('unexpected query ' + option('--query')); process.exit(2); }
    const body = next('references');
    for (const item of body.value) if (item.properties.status !== 'Resolved') console.log(item.name);
    process.exit(0);
  }
  if (uri === ${JSON.stringify(APP_ID)} + '/functions/modelUploaded?api-version=2024-04-01') {
    if (next('function') === 404) { console.error('ERROR: Not Found'); process.exit(3); }
    console.log('modelUploaded');
    process.exit(0);
  }
}
console.error('fake az: unexpected call ' + args.join(' '));
process.exit(9);
`;
writeFileSync(join(work, 'az'), fakeAz);
chmodSync(join(work, 'az'), 0o755);

/** The config reference API's answer (ApiKVReferenceCollection), statuses per setting. */
function references(statuses: Record<string, string>) {
  return {
    value: Object.entries(statuses).map(([name, status]) => ({
      id: `${APP_ID}/config/configreferences/appsettings/${name}`,
      name,
      type: 'Microsoft.Web/sites/config/configreferences',
      properties: {
        reference: `@Microsoft.KeyVault(SecretUri=https://kv-test.vault.azure.net/secrets/${name.toLowerCase()}/)`,
        status,
        vaultName: 'kv-test',
        secretName: name.toLowerCase(),
        identityType: { type: 'UserAssigned' },
        source: 'KeyVault',
      },
    })),
  };
}

const RESOLVED = references({ GITHUB_WEBHOOK_SECRET: 'Resolved', SERVICE_HOOK_PASSWORD: 'Resolved' });
const DENIED = references({
  GITHUB_WEBHOOK_SECRET: 'AccessToKeyVaultDenied',
  SERVICE_HOOK_PASSWORD: 'Resolved',
});

function runHook(scenario: { references: unknown[]; function: unknown[] }) {
  writeFileSync(join(work, 'references.json'), JSON.stringify(scenario.references));
  writeFileSync(join(work, 'function.json'), JSON.stringify(scenario.function));
  writeFileSync(join(work, 'calls.log'), '');
  const result = spawnSync('sh', [repoPath('infra/hooks/postdeploy.sh')], {
    env: {
      PATH: `${work}:/usr/bin:/bin`,
      AZURE_SUBSCRIPTION_ID: '0000',
      AZURE_RESOURCE_GROUP: 'rg-test',
      AZURE_FUNCTION_APP_NAME: 'func-test',
      AZURE_EVENTGRID_SYSTEM_TOPIC_NAME: 'evgt-test',
      AZURE_STORAGE_ACCOUNT_NAME: 'sttest',
      AZURE_KEY_VAULT_NAME: 'kv-test',
      POSTDEPLOY_POLL_SECONDS: '0',
      POSTDEPLOY_POLL_ATTEMPTS: '3',
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const calls = readFileSync(join(work, 'calls.log'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line): unknown => JSON.parse(line))
    .map((call) => (Array.isArray(call) ? call.map(String) : []));
  const count = (group: string, verb: string) =>
    calls.filter((call) => call[0] === group && call[1] === verb).length;
  return { ...result, calls, count };
}

describe('infra/hooks/postdeploy.sh', () => {
  it('with every reference resolved: no restart, then the Event Grid subscription from eventgrid.bicep', () => {
    const run = runHook({ references: [RESOLVED], function: [200] });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.count('functionapp', 'restart')).toBe(0);
    const deployments = run.calls.filter((call) => call[0] === 'deployment');
    expect(deployments).toHaveLength(1);
    const deployment = deployments[0] ?? [];
    expect(deployment[deployment.indexOf('--template-file') + 1]).toMatch(
      /infra\/hooks\/\.\.\/eventgrid\.bicep$/,
    );
    expect(deployment).toContain('functionName=modelUploaded');
    expect(deployment).toContain('functionAppName=func-test');
  });

  it('restarts the app exactly once when a reference is unresolved, then goes on once it resolves', () => {
    const run = runHook({ references: [DENIED, DENIED, RESOLVED], function: [200] });
    expect(run.status, run.stderr).toBe(0);
    expect(run.count('functionapp', 'restart')).toBe(1);
    expect(run.stdout).toContain('Key Vault references not resolved: GITHUB_WEBHOOK_SECRET');
    expect(run.count('deployment', 'group')).toBe(1);
  });

  it('fails naming the setting when a reference stays unresolved after the restart, before Event Grid', () => {
    const run = runHook({ references: [DENIED], function: [200] });
    expect(run.status).not.toBe(0);
    expect(run.count('functionapp', 'restart')).toBe(1);
    expect(run.stderr).toContain('still not resolved after a restart: GITHUB_WEBHOOK_SECRET');
    expect(run.stderr).not.toContain('https://kv-test.vault.azure.net');
    expect(run.count('deployment', 'group')).toBe(0);
  });

  it('waits for the function to be listed before creating the subscription, and gives up in time', () => {
    const late = runHook({ references: [RESOLVED], function: [404, 404, 200] });
    expect(late.status, late.stderr).toBe(0);
    expect(late.count('deployment', 'group')).toBe(1);
    const never = runHook({ references: [RESOLVED], function: [404] });
    expect(never.status).not.toBe(0);
    expect(never.stderr).toContain('modelUploaded is not listed');
    expect(never.count('deployment', 'group')).toBe(0);
  });
});

describe('infra/hooks/postdeploy.ps1', () => {
  it('makes the same calls: reference status query, one restart, function listing, eventgrid.bicep', () => {
    const ps1 = readText('infra/hooks/postdeploy.ps1');
    const sh = readText('infra/hooks/postdeploy.sh');
    for (const fragment of [
      '/config/configreferences/appsettings?api-version=$api',
      `--query "${QUERY}"`,
      'az functionapp restart',
      '/functions/$',
      '--name eventgrid-model-uploaded --template-file',
      "$api = '2024-04-01'",
    ]) {
      const inSh = fragment.replace("$api = '2024-04-01'", 'api=2024-04-01');
      expect(sh, fragment).toContain(inSh);
      expect(ps1, fragment).toContain(fragment);
    }
    expect(ps1.match(/az functionapp restart/g)).toHaveLength(1);
    expect(ps1).not.toMatch(/listKeys|eventgrid_extension/);
    expect(sh).not.toMatch(/listKeys|eventgrid_extension/);
  });
});
