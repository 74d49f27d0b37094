/** Reading `GET /api/flows` and rendering it for a terminal. */
import { renderFlowsTable, type FlowRow } from '../../src/cli/flowsTable.js';
import { arrayAt, jsonText, numberAt, objectAt, readJson, stringAt } from '../json.js';

// The table is the CLI's (`ai-app-cicd flows`): one rendering for both.
export { renderFlowsTable, type FlowRow };

/** One flow of `GET /api/flows` (its JSON) as a table row. */
export function flowRow(view: unknown): FlowRow | undefined {
  const flowId = stringAt(view, 'flowId');
  const status = stringAt(view, 'status');
  if (flowId === undefined || status === undefined) return undefined;
  const model = objectAt(view, 'model');
  const build = objectAt(view, 'build');
  const release = objectAt(view, 'release');
  return {
    flowId,
    status,
    reason: stringAt(view, 'reason'),
    modelName: stringAt(model, 'name') ?? '',
    modelVersion: stringAt(model, 'version'),
    commit: stringAt(view, 'commit'),
    branch: stringAt(view, 'branch') ?? '',
    trigger: stringAt(view, 'trigger') ?? '',
    buildId: numberAt(build, 'id'),
    buildResult: stringAt(build, 'result'),
    releaseId: numberAt(release, 'id'),
    releaseMode: stringAt(release, 'mode'),
    createdAt: stringAt(view, 'createdAt') ?? '',
    transitions: arrayAt(view, 'history')?.length ?? 0,
  };
}

/** `GET <host>/api/flows?limit=…` → the flows, newest first. Throws on anything but 200. */
export async function listFlows(hostUrl: string, limit = 100): Promise<readonly FlowRow[]> {
  const response = await fetch(`${hostUrl}/api/flows?limit=${limit}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = await readJson(response);
  if (response.status !== 200)
    throw new Error(`GET /api/flows answered ${response.status}: ${jsonText(body)}`);
  const flows = arrayAt(body, 'flows');
  if (flows === undefined) throw new Error('GET /api/flows answered without a "flows" array');
  return flows.flatMap((view) => {
    const row = flowRow(view);
    return row === undefined ? [] : [row];
  });
}
