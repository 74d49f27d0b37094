/** The flows as a terminal table: the CLI's `flows` and the demo (`tools/sandbox`) print the same one. */
import type { FlowRecord } from '../core/flow.js';

/** One flow as a row: what the flows API shows of it, in the terms the table uses. */
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
  /** How many transitions the flow's history holds (each one a flow event, when events are on). */
  readonly transitions: number;
}

/** A row from a flow record (the CLI reads the ledger itself). */
export function flowRowOf(flow: FlowRecord): FlowRow {
  return {
    flowId: flow.flowId,
    status: flow.status,
    reason: flow.reason,
    modelName: flow.model?.name ?? flow.modelName,
    modelVersion: flow.model?.version,
    commit: flow.commit,
    branch: flow.branch,
    trigger: flow.trigger,
    buildId: flow.build?.id,
    buildResult: flow.build?.result,
    releaseId: flow.release?.id,
    releaseMode: flow.release?.mode,
    createdAt: flow.createdAt,
    transitions: flow.history.length,
  };
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
