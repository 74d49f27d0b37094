/**
 * infra/pipelines/*.yml against Microsoft's Azure Pipelines YAML schema (with every task's inputs) and
 * azure.yaml against azd's schema, both from the shared conformance corpus (read-only, never copied
 * here): `<repo>/../shared/conformance/schemas`, or AI_APP_CONFORMANCE_DIR.
 *
 * Azure Pipelines reads every YAML scalar as a string (`timeoutInMinutes: 60` is "60"), and its schema
 * says so: the pipelines are parsed with YAML's failsafe schema. azd's schema refers to the schemas of
 * azd extensions by URL; those hosts are not used here and are stood in for by empty schemas.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { conformanceDir } from '../../tools/ado-emulator/conformance.js';
import { isRecord, list, readText, record, repoPath, type Json } from './support.js';

const conformance = conformanceDir();

function schema(file: string): Json {
  const path = join(conformance, 'schemas', file);
  if (!existsSync(path)) {
    throw new Error(
      `Schema ${file} not found under ${conformance}/schemas: the shared conformance corpus must sit ` +
        'next to the repository (../shared/conformance) or be named by AI_APP_CONFORMANCE_DIR.',
    );
  }
  return record(JSON.parse(readFileSync(path, 'utf8')), file);
}

/** External $refs (other documents by URL) of a schema. */
function externalRefs(value: Json): string[] {
  const refs = new Set<string>();
  JSON.stringify(value, (key, child: unknown) => {
    if (key === '$ref' && typeof child === 'string' && /^https?:/.test(child))
      refs.add(child.split('#')[0] ?? '');
    return child;
  });
  return [...refs];
}

function explain(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  );
}

const pipelineFiles = readdirSync(repoPath('infra/pipelines')).filter((file) => /\.ya?ml$/.test(file));

function pipeline(file: string): unknown {
  const value: unknown = parse(readText(`infra/pipelines/${file}`), { schema: 'failsafe' });
  return value;
}

function azureYaml(): Json {
  return record(parse(readText('azure.yaml')), 'azure.yaml');
}

let validatePipeline: ValidateFunction | undefined;
let validateAzureYaml: ValidateFunction | undefined;

function validator(validate: ValidateFunction | undefined): ValidateFunction {
  if (validate === undefined) throw new Error('schemas not compiled');
  return validate;
}

beforeAll(() => {
  // The pipelines schema has patterns written for JavaScript's non-unicode regular expressions.
  const pipelines = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  validatePipeline = pipelines.compile(schema('azure-pipelines-service-schema.json'));
  const azdSchema = schema('azd-azure.yaml.schema.json');
  const azd = new Ajv2019({ allErrors: true, strict: false });
  for (const ref of externalRefs(azdSchema)) azd.addSchema({ $id: ref }, ref);
  validateAzureYaml = azd.compile(azdSchema);
}, 60_000);

describe('schemas', () => {
  it.each(pipelineFiles)('infra/pipelines/%s is valid against the Azure Pipelines schema', (file) => {
    const validate = validator(validatePipeline);
    const valid = validate(pipeline(file));
    expect(explain(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('azure.yaml is valid against azd schema', () => {
    const validate = validator(validateAzureYaml);
    const valid = validate(azureYaml());
    expect(explain(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the pipelines schema refuses a misspelt checkout option, task input or input value', () => {
    const steps = (document: unknown): Json[] => {
      const stages = list(record(document, 'pipeline').stages, 'stages');
      const jobs = list(record(stages[0], 'stage').jobs, 'jobs');
      return list(record(jobs[0], 'job').steps, 'steps').map((step) => record(step, 'step'));
    };
    const mutations: ((document: unknown) => void)[] = [
      (document) => {
        const [checkout] = steps(document);
        if (checkout !== undefined) checkout.fetchDeph = '0';
      },
      (document) => {
        const task = steps(document).find((step) => step.task === 'AzureCLI@2');
        if (task !== undefined && isRecord(task.inputs)) task.inputs.scriptTyp = 'bash';
      },
      (document) => {
        const task = steps(document).find((step) => step.task === 'Docker@2');
        if (task !== undefined && isRecord(task.inputs)) task.inputs.command = 'lgin';
      },
    ];
    const validate = validator(validatePipeline);
    expect(validate(pipeline('build.yml'))).toBe(true);
    for (const mutate of mutations) {
      const document = pipeline('build.yml');
      mutate(document);
      expect(validate(document)).toBe(false);
    }
  });

  it('azd schema refuses a hook shell or a remoteBuild azd would not accept', () => {
    const validate = validator(validateAzureYaml);
    const shell = azureYaml();
    const posix = record(record(record(shell.hooks, 'hooks').postdeploy, 'postdeploy').posix, 'posix');
    posix.shell = 'zsh';
    expect(validate(shell)).toBe(false);
    const remoteBuild = azureYaml();
    record(record(remoteBuild.services, 'services').api, 'api').remoteBuild = 'no';
    expect(validate(remoteBuild)).toBe(false);
  });
});
