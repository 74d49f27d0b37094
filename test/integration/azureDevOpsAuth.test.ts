/**
 * Entra authentication to Azure DevOps: a token is fetched once, shared by concurrent
 * callers, reused until five minutes before it expires, then renewed — and the client
 * built from it works against the emulator (which, like Azure DevOps, accepts bearer tokens).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AZURE_DEVOPS_SCOPE,
  AzureDevOpsConnection,
  type TokenSource,
} from '../../src/adapters/azureDevOps/connection.js';
import { AzureDevOpsBuildPipeline } from '../../src/adapters/azureDevOps/buildPipeline.js';
import type { AdoEmulator } from '../../tools/ado-emulator/server.js';
import { ORG, PROJECT, startTestEmulator } from '../support/stack.js';

let emulator: AdoEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe('AzureDevOpsConnection with Microsoft Entra tokens', () => {
  it('fetches a token once, shares it, and renews it before it expires', async () => {
    let now = Date.parse('2026-11-28T10:00:00Z');
    const scopes: string[] = [];
    const tokens: TokenSource = {
      getToken: (scope) => {
        scopes.push(scope);
        return Promise.resolve({
          token: `entra-token-${scopes.length}`,
          expiresOnTimestamp: now + 60 * 60_000,
        });
      },
    };
    const connection = new AzureDevOpsConnection({
      orgUrl: emulator.orgUrl(ORG),
      auth: { kind: 'entra' },
      tokenSource: tokens,
      now: () => now,
    });
    const builds = new AzureDevOpsBuildPipeline({ connection, project: PROJECT }, 1);

    const apis = await Promise.all(Array.from({ length: 10 }, () => connection.api()));
    expect(new Set(apis).size).toBe(1);
    expect(scopes).toEqual([AZURE_DEVOPS_SCOPE]);
    expect(await builds.get(424242)).toBeUndefined();

    now += 54 * 60_000; // six minutes left: still good
    expect(await connection.api()).toBe(apis[0]);
    expect(scopes).toHaveLength(1);

    now += 2 * 60_000; // four minutes left: renew
    const renewed = await connection.api();
    expect(renewed).not.toBe(apis[0]);
    expect(scopes).toHaveLength(2);
    expect(await builds.get(424242)).toBeUndefined();
  });

  it('reports a failing token source as a typed, transient error', async () => {
    const connection = new AzureDevOpsConnection({
      orgUrl: emulator.orgUrl(ORG),
      auth: { kind: 'entra' },
      tokenSource: { getToken: () => Promise.reject(new Error('no managed identity here')) },
    });
    await expect(connection.api()).rejects.toMatchObject({ code: 'ADO_AUTH_FAILED', transient: true });
  });

  it('answers 401 from Azure DevOps as a typed, permanent error', async () => {
    const connection = new AzureDevOpsConnection({
      orgUrl: emulator.orgUrl(ORG),
      auth: { kind: 'pat', token: 'wrong-pat' },
    });
    await expect(
      new AzureDevOpsBuildPipeline({ connection, project: PROJECT }, 1).get(1),
    ).rejects.toMatchObject({
      code: 'ADO_AUTH_FAILED',
      transient: false,
    });
  });
});
