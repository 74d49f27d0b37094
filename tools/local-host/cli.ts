/**
 * `npm run host`: serves the app's functions on http://127.0.0.1:$PORT (default 7071),
 * with the settings from the environment, or from local.settings.json like `func start`.
 */
import { allFunctions } from '../../src/app/allFunctions.js';
import { LOCAL_SETTINGS_FILE, readLocalSettings, withLocalSettings } from '../../src/cli/settings.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startLocalHost } from './server.js';

// The environment wins over the file, as with Core Tools.
Object.assign(process.env, withLocalSettings(process.env, readLocalSettings(LOCAL_SETTINGS_FILE) ?? {}));
try {
  loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Cannot start: ${error.message}. See the settings table in README.md.`);
    process.exit(1);
  }
  throw error;
}

const host = await startLocalHost({ definitions: allFunctions, port: Number(process.env.PORT ?? 7071) });
console.log(`Local Functions host ready at ${host.url}`);
for (const definition of allFunctions) {
  const where =
    definition.kind === 'http'
      ? `${(definition.options.methods ?? ['GET', 'POST']).join(',')} ${host.url}/api/${definition.options.route}`
      : definition.kind === 'eventGrid'
        ? `POST ${host.url}/runtime/webhooks/eventgrid?functionName=${definition.name}`
        : definition.kind === 'storageQueue'
          ? `queue ${definition.options.queueName}`
          : `timer ${definition.options.schedule} (not run by the local host)`;
  console.log(`  ${definition.name}: ${where}`);
}
const stop = (): void => {
  void host.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
