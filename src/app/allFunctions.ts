import { currentFlow } from '../functions/currentFlow.js';
import { flows } from '../functions/flows.js';
import { flowsPage } from '../functions/flowsPage.js';
import { flowWorker } from '../functions/flowWorker.js';
import { githubPush } from '../functions/githubPush.js';
import { modelUploaded } from '../functions/modelUploaded.js';
import { replayPoison } from '../functions/replayPoison.js';
import { serviceHook } from '../functions/serviceHook.js';
import { stalledFlowSweeper } from '../functions/stalledFlowSweeper.js';
import type { FunctionDefinition } from './functionDefinition.js';

/** Every function of the app, for hosts other than Azure's (the local host, tests). */
export const allFunctions: readonly FunctionDefinition[] = [
  githubPush,
  modelUploaded,
  serviceHook,
  flowWorker,
  flows,
  currentFlow,
  flowsPage,
  replayPoison,
  stalledFlowSweeper,
];
