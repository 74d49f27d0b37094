/** Reading `GET /api/flows` and rendering it for a terminal. */
import { arrayAt, jsonText, numberAt, objectAt, readJson, stringAt } from '../json.js';

/** One flow as the flows API shows it, in the terms the demo and its table use. */
export interface FlowRow {
  readonly flowId: string;
  readonly status: string;
  readonly reason: string | undefined;
  readonly modelName: string;
  readonly modelVersion: string | undefined;
  readonly commit: string | undefined;
  readonly branch: string;
  readonly trigger: string;
  readonly buildId: number | undefined;
  readonly buildResult: string | undefined;
  readonly releaseId: number | undefined;
  readonly releaseMode: string | undefined;
  readonly createdAt: string;
}

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

/** The flows as a plain-text table (newest first, as the API lists them). */
export function renderFlowsTable(flows: readonly FlowRow[]): string {
  const header = ['flow', 'model', 'commit', 'trigger', 'build', 'result', 'release', 'status'];
  const rows = flows.map((flow) => [
    flow.flowId.slice(0, 12),
    flow.modelVersion === undefined ? `${flow.modelName} –` : `${flow.modelName} ${flow.modelVersion}`,
    flow.commit === undefined ? '–' : flow.commit.slice(0, 7),
    flow.trigger,
    flow.buildId === undefined ? '–' : `#${flow.buildId}`,
    flow.buildResult ?? '–',
    flow.releaseId === undefined
      ? '–'
      : `#${flow.releaseId}${flow.releaseMode === 'classic' ? ' (classic)' : ''}`,
    flow.reason === undefined ? flow.status : `${flow.status}: ${flow.reason}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '─'.repeat(width))), ...rows.map(line)].join('\n');
}
