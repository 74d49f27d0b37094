/**
 * The spec translator and validators themselves, against Microsoft's own examples: what the real
 * service sent and accepted must pass, and what the spec forbids must be refused, naming the field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRecord } from '../../tools/json.js';
import {
  RequestValidator,
  SPEC_FILES,
  VALIDATED_OPERATIONS,
  requestBodyValidator,
  responseValidator,
} from '../../tools/ado-emulator/spec.js';
import {
  CONFORMANCE_DIR_ENV,
  conformanceDir,
  readConformanceJson,
} from '../../tools/ado-emulator/conformance.js';

function example(file: string): { body: unknown; response: unknown } {
  const json = readConformanceJson(`specs/${file}`);
  if (
    !isRecord(json) ||
    !isRecord(json.parameters) ||
    !isRecord(json.responses) ||
    !isRecord(json.responses['200'])
  )
    throw new Error(`${file} is not an httpExample`);
  return { body: json.parameters.body, response: json.responses['200'].body };
}

const RELEASES_LIST = {
  spec: SPEC_FILES.releases,
  method: 'get',
  path: '/{organization}/{project}/_apis/release/releases',
} as const;

describe('ADO emulator: Microsoft specs, examples and the translator', () => {
  const saved = process.env.AI_APP_CONFORMANCE_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.AI_APP_CONFORMANCE_DIR;
    else process.env.AI_APP_CONFORMANCE_DIR = saved;
  });

  it("accepts Microsoft's example requests and their responses (null names, enum names)", () => {
    const release = example('vsts-rest-api-specs-release-7.2-httpExamples-POST__CreateARelease.json');
    expect(requestBodyValidator(VALIDATED_OPERATIONS.createRelease)(release.body)).toEqual([]);
    expect(responseValidator(VALIDATED_OPERATIONS.createRelease)(release.response)).toEqual([]);
    const list = example(
      'vsts-rest-api-specs-release-7.2-httpExamples-GET__ListAllReleasesForAReleaseDefinition.json',
    );
    expect(responseValidator(RELEASES_LIST)(list.response)).toEqual([]);
    const hook = example('vsts-rest-api-specs-hooks-7.2-httpExamples-POST__hooks_subscriptions.json');
    expect(requestBodyValidator(VALIDATED_OPERATIONS.createSubscription)(hook.body)).toEqual([]);
    expect(responseValidator(VALIDATED_OPERATIONS.createSubscription)(hook.response)).toEqual([]);
  });

  it('response validation catches a wrong type, a wrong enum name and a date that is not ISO 8601', () => {
    const validate = responseValidator(VALIDATED_OPERATIONS.createRelease);
    expect(validate({ id: '19' })).toEqual([expect.stringContaining('id must be integer')]);
    expect(validate({ id: 19, status: 'Active' })).toEqual([
      expect.stringContaining('status must be equal to one of'),
    ]);
    expect(validate({ id: 19, createdOn: 'Fri, 16 Jun 2017 01:53:32 GMT' })).toEqual([
      expect.stringContaining('createdOn must match format "date-time"'),
    ]);
    expect(responseValidator(RELEASES_LIST)({ value: [] })).toEqual([
      expect.stringContaining("must have required property 'count'"),
    ]);
  });

  it('refuses bodies the spec does not allow and names the field', () => {
    const spec = RequestValidator.load();
    expect(spec.body('runPipeline', { templateParameters: { modelVersion: 7 } })).toMatchObject({
      field: 'templateParameters.modelVersion',
      message: 'must be string',
      schema: 'RunPipelineParameters',
    });
    expect(spec.body('runPipeline', { resources: { pipelines: { build: { runId: '12' } } } })).toMatchObject({
      field: 'resources.pipelines.build.runId',
      message: 'must be integer',
    });
    expect(spec.body('runPipeline', { variables: { trace: { value: true } } })).toMatchObject({
      field: 'variables.trace.value',
    });
    expect(spec.body('createRelease', { definitionId: 3, reason: 'sometimes' })).toMatchObject({
      field: 'reason',
      message: expect.stringContaining('continuousIntegration'),
    });
    expect(
      spec.body('createRelease', {
        definitionId: 3,
        artifacts: [{ alias: 'build', instanceReference: { id: 7 } }],
      }),
    ).toMatchObject({ field: 'artifacts[0].instanceReference.id', message: 'must be string' });
    expect(spec.body('createRelease', { definitionId: null })).toMatchObject({ field: 'definitionId' });
    expect(spec.body('createSubscription', { publisherInputs: { definitionId: 11 } })).toMatchObject({
      field: 'publisherInputs.definitionId',
    });
    expect(spec.body('replaceSubscription', { status: 'paused' })).toMatchObject({ field: 'status' });
  });

  it('accepts what Json.NET accepts: enum names in any case or as numbers, null for reference types', () => {
    const spec = RequestValidator.load();
    expect(spec.body('createRelease', { definitionId: 3, reason: 2, description: null })).toBeUndefined();
    expect(spec.body('createRelease', { definitionId: 3, reason: 'ContinuousIntegration' })).toBeUndefined();
    expect(spec.body('createSubscription', { status: 'disabledByInactiveIdentity' })).toBeUndefined();
    expect(
      spec.body('runPipeline', { previewRun: true, stagesToSkip: null, unknownMember: 1 }),
    ).toBeUndefined();
  });

  it('checks Builds List query parameters the way ASP.NET binds them', () => {
    const spec = RequestValidator.load();
    const ok = new URLSearchParams({
      definitions: '11,12',
      minTime: new Date(0).toUTCString(),
      queryOrder: '4',
      statusFilter: 'completed,InProgress',
      $top: '5',
      unknownParameter: 'ignored',
    });
    expect(spec.query('listBuilds', ok)).toBeUndefined();
    const refused = (query: string) => spec.query('listBuilds', new URLSearchParams(query))?.field;
    expect(refused('queryOrder=newestFirst')).toBe('queryOrder');
    expect(refused('minTime=yesterday')).toBe('minTime');
    expect(refused('$top=ten')).toBe('$top');
    expect(refused('definitions=11,build')).toBe('definitions');
    expect(refused('statusFilter=completed,exploded')).toBe('statusFilter');
    expect(refused('resultFilter=all')).toBe('resultFilter');
  });

  it('reads the corpus from AI_APP_CONFORMANCE_DIR and says where it looked when it is missing', () => {
    expect(path.basename(conformanceDir())).toBe('conformance');
    const empty = mkdtempSync(path.join(tmpdir(), 'no-conformance-'));
    try {
      process.env[CONFORMANCE_DIR_ENV] = empty;
      expect(() => conformanceDir()).toThrow(new RegExp(`not at ${empty}.*${CONFORMANCE_DIR_ENV}`));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
