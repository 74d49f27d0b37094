/**
 * Entry of the deployed app (`npm run package` bundles from here into dist/app/main.js): the Functions
 * host loads this one module, which registers the appStart hook and every function. Keep it in step
 * with src/app/allFunctions.ts — test/package/package.test.ts checks that every function registers.
 */
import './functions/appStart.js';
import './functions/githubPush.js';
import './functions/modelUploaded.js';
import './functions/buildCompleted.js';
import './functions/flowWorker.js';
import './functions/flows.js';
import './functions/replayPoison.js';
import './functions/stalledFlowSweeper.js';
