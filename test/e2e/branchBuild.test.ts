/**
 * A model uploaded before any push builds the release branch's head, which Azure DevOps picks
 * and reports. A later push of that very commit, with that model, is the same flow: one build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { records, responseJson, type JsonObject } from '../../tools/json.js';
import { TEST_SECRETS } from '../support/appEnv.js';
import { githubDelivery, postDelivery, pushPayload } from '../support/github.js';
import { drained, publishModel, runsCreated, startStack, type Stack } from '../support/stack.js';

let stack: Stack;

async function flows(): Promise<JsonObject[]> {
  return records((await responseJson(await fetch(`${stack.host.url}/api/flows`))).body.flows);
}

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.stop();
});

describe('a model built on the branch head before any push, then that commit pushed', () => {
  it('builds once: the push joins the flow the model build made', async () => {
    await publishModel(stack, '1.0.0', { files: [{ path: 'model.onnx', content: 'weights' }] });
    await drained(stack);
    const [modelFlow] = await flows();
    // Azure DevOps chose the commit (the branch head) and the app recorded it from the run.
    const commit = modelFlow?.commit;
    expect(typeof commit).toBe('string');
    expect(runsCreated(stack.emulator, 1)).toHaveLength(1);

    const { status, body } = await postDelivery(
      stack.host.url,
      githubDelivery(pushPayload({ after: String(commit) }), TEST_SECRETS.webhook),
    );
    await drained(stack);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'already-started', flowId: modelFlow?.flowId });
    expect(runsCreated(stack.emulator, 1)).toHaveLength(1);
    expect(await flows()).toHaveLength(1);
  });
});
