/** The one `ready` line `npm run sandbox` prints: every URL, the secret in use, copy-paste examples. */
import type { Sandbox } from './sandbox.js';
import { SANDBOX } from './settings.js';

export function readyLine(sandbox: Sandbox): string {
  const { urls, env, secrets, knobs, ports } = sandbox;
  const model = env.MODEL_NAME ?? SANDBOX.modelName;
  const container = env.MODELS_CONTAINER ?? SANDBOX.modelsContainer;
  const cs = `"${secrets.storageConnectionString}"`;
  const pushFlags = [
    '--branch main',
    ...(ports.host === SANDBOX.ports.host ? [] : [`--url ${urls.host}`]),
    ...(secrets.webhookSecret === SANDBOX.webhookSecret ? [] : [`--secret ${secrets.webhookSecret}`]),
  ].join(' ');
  const release =
    env.RELEASE_MODE === 'classic'
      ? `classic release definition ${knobs.releaseDefinitionId}`
      : `release pipeline ${knobs.releasePipelineId}`;
  const autoComplete =
    knobs.buildSeconds === undefined
      ? 'off (SANDBOX_BUILD_SECONDS)'
      : `runs complete ${knobs.buildResult} after ${knobs.buildSeconds} s`;
  const parts = [
    `ready: functions ${urls.host}`,
    `GitHub webhook POST ${urls.github} (secret ${secrets.webhookSecret}, repository ${env.GITHUB_REPOSITORY ?? ''})`,
    `flows GET ${urls.flows} | ${urls.flows}/current | ${urls.flows}/{id}`,
    `lineage page (open in a browser) ${urls.flows}/view`,
    `Event Grid ${urls.eventGrid}`,
    `service hook ${urls.serviceHook} (basic ${secrets.serviceHookUsername}:${secrets.serviceHookPassword})`,
    `Azure DevOps ${urls.organization} (project ${knobs.project}, PAT ${secrets.pat}, build pipeline ${knobs.buildPipelineId}, ${release})`,
    `emulator control ${urls.emulatorControl}`,
    `flow events → local Event Grid topic ${urls.flowEvents} (aeg-sas-key ${env.FLOW_EVENTS_TOPIC_KEY ?? ''}; GET ${urls.flowEventsControl}/events, POST ${urls.flowEventsControl}/fail {"status":503} | /heal)`,
    `blob ${urls.blob} (container ${container}, watched) | queue ${urls.queue}`,
    `auto-complete ${autoComplete}`,
    `try: az storage blob upload --connection-string ${cs} -c ${container} -n ${model}/1.0.0/model.onnx -f ./model.onnx` +
      ` then the manifest last, the same way with -n ${model}/1.0.0/model.json -f ./model.json` +
      ` (model.json = {"files":[{"path":"model.onnx","size":<bytes>,"sha256":"<sha256sum>"}]})` +
      ` ; npm run sandbox:push -- ${pushFlags}` +
      ` ; curl -s -X POST ${urls.emulatorControl}/builds/complete -H 'content-type: application/json' -d '{"org":"${knobs.org}","buildId":1,"result":"succeeded"}'` +
      ` ; curl -s ${urls.flows}`,
    'Ctrl-C stops everything',
  ];
  return parts.join(' · ');
}
