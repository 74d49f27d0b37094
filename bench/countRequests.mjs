// Preloaded into a CLI process by `npm run bench:cli` (node --import): counts the HTTP requests it
// sends (node:http, which the Azure SDKs and azure-devops-node-api use, and fetch) and writes
// them, one "METHOD host:port path" a line, to $COUNT_REQUESTS_FILE when the process exits.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const seen = [];
subscribe('http.client.request.start', ({ request }) => {
  seen.push(`${request.method} ${String(request.getHeader('host'))}${request.path}`);
});
subscribe('undici:request:create', ({ request }) => {
  seen.push(`${request.method} ${request.origin}${request.path}`);
});
process.on('exit', () => {
  if (process.env.COUNT_REQUESTS_FILE) writeFileSync(process.env.COUNT_REQUESTS_FILE, seen.join('\n'));
});
