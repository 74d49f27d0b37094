/** Entry of the `ai-app-cicd` command (bin/ai-app-cicd.mjs runs it). */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: process.stdout.isTTY && process.stderr.isTTY,
});
// Exit once everything written is flushed: the SDKs' keep-alive sockets would hold the process open.
await Promise.all(
  [process.stdout, process.stderr].map(
    (stream) =>
      new Promise<void>((resolve) => {
        stream.write('', () => {
          resolve();
        });
      }),
  ),
);
process.exit(code);
