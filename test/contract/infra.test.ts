/**
 * azure.yaml, the Bicep entry points and the app's functions agree: the Event Grid subscription
 * targets the function that exists, queues exist for queue triggers, nothing needs a registry.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allFunctions } from '../../src/app/allFunctions.js';
import { armResources, BICEP_TIMEOUT_MS, compiledArm } from './arm.js';
import {
  at,
  bicepObjectKeys,
  bicepStringParamDefault,
  bicepStringVar,
  readText,
  readYaml,
  record,
  repoPath,
  text,
} from './support.js';

const main = readText('infra/main.bicep');
const eventGrid = readText('infra/eventgrid.bicep');

function bicepFiles(folder = 'infra'): string[] {
  return readdirSync(repoPath(folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return bicepFiles(relative);
    return entry.name.endsWith('.bicep') ? [relative] : [];
  });
}

describe('azure.yaml', () => {
  const project = readYaml('azure.yaml');

  it('deploys this folder as a Functions app that main.bicep tags for azd', () => {
    const service = record(at(project, ['services', 'api']), 'services.api');
    expect(service).toMatchObject({ project: '.', language: 'ts', host: 'function' });
    expect(at(project, ['infra'])).toMatchObject({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(bicepStringVar(main, 'serviceName')).toBe('api');
    expect(readText('infra/modules/function-app.bicep')).toContain("'azd-service-name': serviceName");
  });

  it('creates the Event Grid subscription after the code is deployed, on every platform', () => {
    for (const platform of ['posix', 'windows']) {
      const hook = record(at(project, ['hooks', 'postdeploy', platform]), `postdeploy.${platform}`);
      const script = text(hook.run, 'run').replace(/^\.\//, '');
      expect(existsSync(repoPath(script)), script).toBe(true);
      expect(readText(script)).toContain('eventgrid.bicep');
      expect(hook.continueOnError).toBe(false);
    }
  });
});

describe('Event Grid', () => {
  const eventGridFunctions = allFunctions.filter((definition) => definition.kind === 'eventGrid');

  it(
    "delivers model uploads to the app's Event Grid function by resource id, no key in a URL",
    () => {
      expect(eventGridFunctions.map((definition) => definition.name)).toEqual(['modelUploaded']);
      expect(bicepStringParamDefault(eventGrid, 'functionName')).toBe('modelUploaded');
      expect(bicepStringVar(main, 'modelUploadedFunctionName')).toBe('modelUploaded');
      const compiled = compiledArm('infra/eventgrid.bicep');
      const subscriptions = armResources(compiled).filter(
        ({ resource }) => resource.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
      );
      expect(subscriptions).toHaveLength(1);
      const destination = record(
        at(subscriptions[0]?.resource, ['properties', 'destination']),
        'destination',
      );
      expect(destination.endpointType).toBe('AzureFunction');
      const resourceId = text(at(destination, ['properties', 'resourceId']), 'resourceId');
      expect(resourceId).toContain(
        "resourceId('Microsoft.Web/sites/functions', parameters('functionAppName'), parameters('functionName'))",
      );
      const json = JSON.stringify(compiled);
      expect(json).not.toMatch(/listKeys|endpointUrl|code=/);
    },
    BICEP_TIMEOUT_MS,
  );

  it('sends only complete blobs created in the models container', () => {
    expect(eventGrid).toContain("includedEventTypes: ['Microsoft.Storage.BlobCreated']");
    expect(eventGrid).toContain(
      "subjectBeginsWith: '/blobServices/default/containers/${modelsContainerName}/blobs/'",
    );
    expect(eventGrid).toContain("key: 'data.api'");
    expect(eventGrid).toContain("values: ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose']");
    expect(bicepStringParamDefault(eventGrid, 'modelsContainerName')).toBe(
      bicepStringParamDefault(main, 'modelsContainerName'),
    );
  });

  it("retries, then dead-letters with the system topic's identity into the dead-letter container", () => {
    expect(eventGrid).toMatch(
      /retryPolicy: \{\s+maxDeliveryAttempts: maxDeliveryAttempts\s+eventTimeToLiveInMinutes:/,
    );
    expect(eventGrid).toMatch(/deadLetterWithResourceIdentity: \{\s+identity: \{\s+type: 'SystemAssigned'/);
    expect(bicepStringParamDefault(eventGrid, 'deadLetterContainerName')).toBe('eventgrid-deadletter');
    expect(bicepStringVar(main, 'deadLetterContainerName')).toBe('eventgrid-deadletter');
    expect(readText('infra/modules/eventgrid-topic.bicep')).toContain(
      'principalId: topic.identity.principalId',
    );
  });
});

describe('storage', () => {
  it('creates the queues the queue-triggered functions listen on, with their poison queues', () => {
    const queues = [bicepStringVar(main, 'workQueueName'), bicepStringVar(main, 'poisonQueueName')];
    expect(queues).toEqual(['flow-work', 'flow-work-poison']);
    const settings = bicepObjectKeys(main, 'appSettings');
    for (const definition of allFunctions) {
      if (definition.kind !== 'storageQueue') continue;
      expect(queues).toContain(definition.options.queueName);
      expect(queues).toContain(`${definition.options.queueName}-poison`);
      // The binding's connection resolves by identity: <connection>__queueServiceUri + __credential.
      const connection = definition.options.connection;
      expect(settings.has(`${connection}__queueServiceUri`), connection).toBe(true);
      expect(settings.get(`${connection}__credential`), connection).toBe("'managedidentity'");
    }
  });

  it('creates the models, ledger, deployment and dead-letter containers on an identity-only account', () => {
    const storage = readText('infra/modules/storage.bicep');
    expect(storage).toContain('allowSharedKeyAccess: false');
    expect(storage).toContain('allowBlobPublicAccess: false');
    expect(storage).toContain(
      'var containerNames = [modelsContainerName, ledgerContainerName, deploymentContainerName, deadLetterContainerName]',
    );
    expect(bicepStringParamDefault(main, 'ledgerContainerName')).toBe('flows');
  });
});

describe('Bicep sources', () => {
  const files = bicepFiles();

  it('use local modules only (CI compiles offline)', () => {
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      for (const match of readText(file).matchAll(/^module \w+ '([^']+)'/gm)) {
        expect(match[1], file).toMatch(/^(\.\/)?modules\/[\w-]+\.bicep$/);
        expect(existsSync(repoPath(`infra/${match[1] ?? ''}`))).toBe(true);
      }
      expect(readText(file), file).not.toMatch(/'br[:/]|'ts[:/]/);
    }
  });

  it('name every role assignment with guid() and say which built-in role each id is', () => {
    let assignments = 0;
    for (const file of files) {
      const source = readText(file);
      for (const match of source.matchAll(
        /resource \w+ 'Microsoft\.Authorization\/roleAssignments@[\d-]+' = (?:if \(.+\) )?\{\s+name: (\S+)/g,
      )) {
        assignments += 1;
        expect(match[1], file).toMatch(/^guid\(/);
      }
      for (const line of source
        .split('\n')
        .filter((candidate) => /'[0-9a-f]{8}-[0-9a-f]{4}-/.test(candidate))) {
        expect(line, file).toMatch(/'[0-9a-f-]{36}' \/\/ [A-Z][\w ]+$/);
      }
    }
    expect(assignments).toBeGreaterThanOrEqual(8);
  });

  it('keep secrets in Key Vault: secure parameters only, no secret in any output', () => {
    for (const name of [
      'githubWebhookSecret',
      'serviceHookPassword',
      'azureDevOpsPat',
      'githubWebhookSecretPrevious',
    ]) {
      // Decorators follow @secure(), some over several lines (@metadata({ … })).
      expect(main).toMatch(new RegExp(`@secure\\(\\)\\n([@ }][^\\n]*\\n)*param ${name} string`));
    }
    expect(readText('infra/modules/function-app.bicep')).toContain('keyVaultReferenceIdentity: identityId');
    expect(readText('infra/modules/keyvault.bicep')).toContain('enableRbacAuthorization: true');
  });

  it('output what azd, the hooks and docs/deploy.md use, in UPPER_SNAKE case', () => {
    const outputs = [...main.matchAll(/^output (\w+) /gm)].map((match) => match[1] ?? '');
    for (const output of outputs) expect(output).toMatch(/^[A-Z][A-Z0-9_]+$/);
    const used = [readText('infra/hooks/postdeploy.sh'), readText('docs/deploy.md')].join('\n');
    for (const name of used.matchAll(/\b(AZURE_[A-Z_]+|EVENTGRID_[A-Z_]+)\b/g)) {
      if (
        ['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_SUBSCRIPTION_ID', 'AZURE_PRINCIPAL_ID'].includes(
          name[1] ?? '',
        )
      )
        continue;
      if (/^AZURE_(DEVOPS|PIPELINE|CLIENT_ID|PRINCIPAL_TYPE|RESOURCE_GROUP_NAME)/.test(name[1] ?? ''))
        continue;
      expect(outputs, name[1]).toContain(name[1]);
    }
  });
});
