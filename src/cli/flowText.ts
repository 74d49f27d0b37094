/** One flow for people: what it is, then its history, one transition a line. */
import type { FlowRecord } from '../core/flow.js';

export function describeFlow(flow: FlowRecord): string {
  const model =
    flow.model === undefined ? `${flow.modelName} (no model)` : `${flow.model.name} ${flow.model.version}`;
  const lines = [
    `flow     ${flow.flowId}`,
    `status   ${flow.status}${flow.reason === undefined ? '' : `: ${flow.reason}`}`,
    `model    ${model}${flow.model === undefined ? '' : ` (sha256 ${flow.model.sha256.slice(0, 12)}…)`}`,
    `commit   ${flow.commit ?? '–'} on ${flow.branch || '–'} (trigger ${flow.trigger})`,
    `build    ${flow.build === undefined ? '–' : `#${flow.build.id}${flow.build.result === undefined ? '' : ` ${flow.build.result}`} ${flow.build.url}`}`,
    `release  ${flow.release === undefined ? '–' : `${flow.release.mode === 'classic' ? 'classic release' : 'deploy run'} #${flow.release.id} ${flow.release.url}`}`,
  ];
  if (flow.lastError !== undefined)
    lines.push(`error    ${flow.lastError.code}: ${flow.lastError.message} (${flow.lastError.at})`);
  return lines.join('\n');
}

export function describeHistory(flow: FlowRecord): string {
  return [
    'history',
    ...flow.history.map(
      (entry) =>
        `  ${entry.at}  ${entry.status.padEnd(17)}  ${entry.delivery.source}:${entry.delivery.id}${entry.reason === undefined ? '' : `  — ${entry.reason}`}`,
    ),
  ].join('\n');
}
