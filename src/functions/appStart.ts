// @azure/functions is a CommonJS bundle whose exports Node's ESM loader cannot name: default-import it.
import functions from '@azure/functions';
import { loadConfig } from '../config.js';

/**
 * Validates every setting when the Functions host starts the app, so a missing or malformed
 * one fails the start with a message naming it instead of failing the first delivery.
 * (The local host does the same in tools/local-host/cli.ts.)
 */
functions.app.hook.appStart(() => {
  loadConfig();
});
