/**
 * Entry of the deployed app (`npm run package` bundles from here into dist/app/main.js): the Functions
 * host loads this one module, which registers the appStart hook and every function — the list in
 * src/app/allFunctions.ts, which the local host and the tests use too (test/package checks that every
 * function registers).
 */
import './app/setup.js';
import './functions/appStart.js';
import './app/allFunctions.js';
