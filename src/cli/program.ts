/**
 * `ai-app-cicd`: the operator's commands. Each reads the app's settings, runs the app's use cases
 * over the app's adapters, prints lines (or one JSON document with `--json`), and exits 0 on
 * success, non-zero with a one-line reason otherwise.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { loadConfig, type AppConfig } from '../config.js';
import { isFlowId } from '../core/flowId.js';
import { isSafeOperatorName } from '../core/operator.js';
import type { Logger } from '../ports/logger.js';
import { checkHealth } from '../usecases/checkHealth.js';
import { flowView } from '../usecases/flowView.js';
import { promoteVersion } from '../usecases/promoteVersion.js';
import { publishModel } from '../usecases/publishModel.js';
import { DEFAULT_SCAN, rollBack } from '../usecases/rollBack.js';
import { setUp } from '../usecases/setUp.js';
import { flowRowOf, renderFlowsTable } from './flowsTable.js';
import { readModelFolder } from './localFiles.js';
import { CliFailure, failureOf, output, stepLine } from './output.js';
import { uploadProgress } from './progress.js';
import { cliServices, type CliServices } from './services.js';
import { LOCAL_SETTINGS_FILE, readLocalSettings, withLocalSettings, type Env } from './settings.js';
import { describeFlow, describeHistory } from './flowText.js';

export interface CliIo {
  readonly env: Env;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stdout is a terminal (progress bar) */
  readonly isTty: boolean;
}

interface GlobalOptions {
  readonly json?: boolean;
  readonly settings?: string;
  readonly verbose?: boolean;
}

/** Same bound as `POST /api/ops/replay-poison`. */
const MAX_REPLAY = 1000;
const MAX_FLOWS = 1000;

/** Runs the CLI on `argv` (without node and the script); answers the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  const program = buildProgram(io, (value) => {
    json = value;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answered by commander itself; a usage error has been printed.
      return error.exitCode === 0 ? 0 : 2;
    }
    const failure = failureOf(error);
    if (json && !(error instanceof CliFailure && error.resultPrinted))
      io.stdout(
        `${JSON.stringify({ ok: false, error: { code: failure.code, message: failure.message } }, null, 2)}\n`,
      );
    io.stderr(`ai-app-cicd: ${failure.message}\n`);
    return failure.exitCode;
  }
}

function buildProgram(io: CliIo, setJson: (json: boolean) => void): Command {
  const program = new Command('ai-app-cicd')
    .description(
      'Operate ai-app-cicd: publish model versions, set up and check Azure, read flows, promote, roll back, replay.',
    )
    .option('--json', 'print one JSON document (machine-readable) instead of lines')
    .option(
      '--settings <file>',
      `app settings file whose "Values" fill in what the environment does not set (default: ./${LOCAL_SETTINGS_FILE} if present)`,
    )
    .option('--verbose', 'also print the log lines of the use cases (retries, decisions) on stderr')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => {
        io.stdout(text);
      },
      writeErr: (text) => {
        io.stderr(text);
      },
    })
    .exitOverride()
    .addHelpText(
      'after',
      '\nSettings: the app\'s own (README.md, "Settings"), from the environment or local.settings.json.\nExit codes: 0 success, 1 failed (one-line reason on stderr), 2 usage error.\nMore: docs/operate.md',
    );

  /** The settings, the output and the services of one command. */
  const context = (command: Command) => {
    const options: GlobalOptions = command.optsWithGlobals();
    setJson(options.json === true);
    const out = output(options.json === true, io.stdout);
    const file =
      options.settings === undefined
        ? resolve(io.cwd, LOCAL_SETTINGS_FILE)
        : resolve(io.cwd, options.settings);
    const values = readLocalSettings(file);
    if (options.settings !== undefined && values === undefined)
      throw new CliFailure(`settings file ${file} does not exist`, 'SETTINGS_FILE_MISSING');
    const env = withLocalSettings(io.env, values ?? {});
    const logger = cliLogger(options.verbose === true, io.stderr);
    return {
      out,
      env,
      logger,
      config: () => loadConfig(env),
      services: (config: AppConfig): CliServices => cliServices(config, logger),
    };
  };

  program
    .command('publish-model')
    .description(
      'upload every file of <dir> as model version <name>/<version>/ in the models container, then its manifest model.json last (which starts the build); an existing version is refused',
    )
    .argument('<dir>', 'folder holding the model version’s files (hidden files are left out)')
    .requiredOption('--version <version>', 'the version to publish, e.g. 1.2.0 (versions are immutable)')
    .option('--name <model>', 'model name (default: the MODEL_NAME setting)')
    .action(
      async (
        dir: string,
        options: { readonly version: string; readonly name?: string },
        command: Command,
      ) => {
        const { out, config, services } = context(command);
        const settings = config();
        const name = options.name ?? settings.model.name;
        const folder = await readModelFolder(resolve(io.cwd, dir)).catch((error: unknown) => {
          throw new CliFailure(
            error instanceof Error ? error.message : `cannot read ${dir}`,
            'FOLDER_UNREADABLE',
          );
        });
        const publisher = await services(settings).publisher();
        const progress = uploadProgress(out.json ? 'none' : io.isTty ? 'bar' : 'lines', (line) => {
          out.line(line);
        });
        for (const skipped of folder.skipped) out.line(`skipping ${skipped} (hidden or not a file)`);
        let outcome;
        try {
          outcome = await publishModel(
            { publisher },
            { name, version: options.version, files: folder.files, progress },
          );
        } finally {
          progress.stop();
        }
        if (outcome.kind === 'refused')
          throw new CliFailure(
            outcome.uploaded.length === 0
              ? outcome.detail
              : `${outcome.detail} (uploaded before: ${outcome.uploaded.join(', ')})`,
            outcome.reason === 'version-exists'
              ? 'VERSION_EXISTS'
              : outcome.reason === 'invalid'
                ? 'INVALID'
                : 'CONCURRENT_UPLOAD',
          );
        out.result(
          `published ${outcome.name} ${outcome.version}: ${outcome.files} file(s), ${outcome.bytes} bytes, then ${outcome.manifest.path} (sha256 ${outcome.manifest.sha256}); the app builds it when the manifest's event arrives — watch with \`ai-app-cicd flows\``,
          { ok: true, ...outcome, skipped: folder.skipped },
        );
      },
    );

  program
    .command('setup')
    .description(
      'create or update what the app needs outside itself — containers, queues, the Azure DevOps service-hook subscriptions to <app-url> — and check with preview runs that the pipelines accept what the app sends; running it again creates nothing',
    )
    .requiredOption('--app-url <url>', "the app's base URL, e.g. https://func-ai-app.azurewebsites.net")
    .option(
      '--update-password',
      'also send the service-hook password to subscriptions that exist (it cannot be read back to compare): after rotating it',
    )
    .action(
      async (options: { readonly appUrl: string; readonly updatePassword?: boolean }, command: Command) => {
        const { out, config, services } = context(command);
        const settings = config();
        const result = await setUp(await services(settings).operator(), {
          appUrl: options.appUrl,
          updatePassword: options.updatePassword === true,
        });
        const changed = result.created + result.updated;
        const summary =
          result.failed > 0
            ? `${result.failed} step(s) failed`
            : changed === 0
              ? 'nothing to create: everything was set up already'
              : `set up: ${result.created} created, ${result.updated} updated`;
        out.result([...result.steps.map(stepLine), summary].join('\n'), {
          ok: result.failed === 0,
          created: result.created,
          updated: result.updated,
          failed: result.failed,
          steps: result.steps,
        });
        if (result.failed > 0)
          throw quiet(`setup: ${result.steps.find((step) => step.status === 'failed')?.name ?? ''} failed`);
      },
    );

  program
    .command('doctor')
    .description(
      'check everything the app depends on — settings, storage, Azure DevOps access, pipelines (preview runs), service hooks, the app itself with --app-url — one line each with ✓/✗ and the fix; exits 0 only when all pass',
    )
    .option(
      '--app-url <url>',
      "the app's base URL: also check the app answers, and that the service hooks post to it",
    )
    .action(async (options: { readonly appUrl?: string }, command: Command) => {
      const { out, config, services } = context(command);
      let settings: AppConfig;
      try {
        settings = config();
      } catch (error) {
        const failure = failureOf(error);
        const step = {
          name: 'settings',
          status: 'failed',
          detail: failure.message,
          fix: 'set it (README.md, "Settings"): in the app settings, the environment or local.settings.json',
        } as const;
        out.result(stepLine(step), { ok: false, steps: [step] });
        throw quiet(`settings invalid: ${failure.message}`);
      }
      const settingsStep = {
        name: 'settings',
        status: 'ok',
        detail: `valid (release mode ${settings.release.mode}, storage by ${settings.storage.kind === 'connectionString' ? 'connection string' : 'identity'}, Azure DevOps by ${settings.azureDevOps.auth.kind === 'pat' ? 'PAT' : 'Entra token'})`,
      } as const;
      const steps = [
        settingsStep,
        ...(await checkHealth(
          await services(settings).operator(),
          options.appUrl === undefined ? {} : { appUrl: options.appUrl },
        )),
      ];
      const failedSteps = steps.filter((step) => step.status === 'failed');
      out.result(
        [
          ...steps.map(stepLine),
          failedSteps.length === 0 ? 'all checks passed' : `${failedSteps.length} check(s) failed`,
        ].join('\n'),
        { ok: failedSteps.length === 0, steps },
      );
      if (failedSteps.length > 0)
        throw quiet(
          `${failedSteps.length} check(s) failed: ${failedSteps.map((step) => step.name).join(', ')}`,
        );
    });

  const flows = program
    .command('flows')
    .description('the flows, newest first, as a table (model → commit → build → release, status)')
    .option('--limit <n>', `how many flows (1–${MAX_FLOWS})`, integerIn(1, MAX_FLOWS), 20)
    .action(async (options: { readonly limit: number }, command: Command) => {
      const { out, config, services } = context(command);
      const { app } = await services(config()).app();
      const records = [];
      let token: string | undefined;
      do {
        const page = await app.flows.list(Math.min(100, options.limit - records.length), token);
        records.push(...page.flows);
        token = page.continuationToken;
      } while (token !== undefined && records.length < options.limit);
      out.result(records.length === 0 ? 'no flows yet' : renderFlowsTable(records.map(flowRowOf)), {
        flows: records.map(flowView),
        ...(token === undefined ? {} : { more: true }),
      });
    });
  flows
    .command('show')
    .description(
      'one flow: what it built and released, and its history (every transition, who caused it, why)',
    )
    .argument('<flowId>', 'the flow’s id (20 hex characters, as `flows` shows its first 12: give all 20)')
    .action(async (flowId: string, _options: unknown, command: Command) => {
      const { out, config, services } = context(command);
      if (!isFlowId(flowId))
        throw new CliFailure(
          `"${flowId}" is not a flow id (20 lower-case hex characters)`,
          'FLOW_ID_INVALID',
          2,
        );
      const { app } = await services(config()).app();
      const flow = await app.flows.get(flowId);
      if (flow === undefined) throw new CliFailure(`no flow ${flowId}`, 'NOT_FOUND');
      out.result(`${describeFlow(flow)}\n${describeHistory(flow)}`, flowView(flow));
    });
  flows
    .command('current')
    .description('the flow last sent to release: what is live, or about to be')
    .action(async (_options: unknown, command: Command) => {
      const { out, config, services } = context(command);
      const { app } = await services(config()).app();
      const flow = await app.flows.current();
      if (flow === undefined) throw new CliFailure('Nothing has been released yet.', 'NOT_FOUND');
      out.result(`${describeFlow(flow)}\n${describeHistory(flow)}`, flowView(flow));
    });

  program
    .command('promote')
    .description(
      'make a complete version of the model current — even an older one (an explicit decision; uploads only ever move forward) — and queue its build on the release branch’s head; recorded on the flow with who and when',
    )
    .argument('<version>', 'a published, complete version of the model (MODEL_NAME)')
    .option('--by <who>', 'who decides (default: the OS user)')
    .action(async (version: string, options: { readonly by?: string }, command: Command) => {
      const { out, config, services } = context(command);
      const by = operator(options.by, io.env);
      const outcome = await promoteVersion(await services(config()).promote(), { version, by });
      if (outcome.kind === 'refused') throw new CliFailure(outcome.reason, 'REFUSED');
      const flow = outcome.build.flow;
      const from =
        outcome.previous === undefined
          ? 'first version'
          : outcome.previous === version
            ? 'already current'
            : `was ${outcome.previous}${outcome.backwards ? ', moved back by this decision' : ''}`;
      const build =
        outcome.build.kind === 'accepted'
          ? `build queued for the worker (flow ${flow.flowId} on ${flow.branch}${flow.commit === undefined ? ' head' : ` ${flow.commit.slice(0, 12)}`})`
          : `flow ${flow.flowId} exists already (${flow.status}): no new build; to release its build again, \`ai-app-cicd rollback --to ${flow.flowId}\``;
      out.result(`promoted ${flow.modelName} ${version} (${from}); ${build}`, {
        ok: true,
        version,
        previous: outcome.previous ?? null,
        backwards: outcome.backwards,
        by,
        flowId: flow.flowId,
        status: flow.status,
        build: outcome.build.kind,
        queued: outcome.queued,
        waitingBuilt: outcome.waitingBuilt.map((accepted) => accepted.flow.flowId),
      });
    });

  program
    .command('rollback')
    .description(
      'release again the build of the previously released flow (or of --to): a new release of a build that exists and succeeded, no rebuild; recorded on that flow, and "what is live" points to it',
    )
    .option(
      '--to <flowId>',
      'the flow whose build to release again (default: the one released before the current one)',
    )
    .option('--by <who>', 'who decides (default: the OS user)')
    .option(
      '--scan <n>',
      'how many of the newest flows to look through for the previous release',
      integerIn(1, 10_000),
      DEFAULT_SCAN,
    )
    .action(
      async (
        options: { readonly to?: string; readonly by?: string; readonly scan: number },
        command: Command,
      ) => {
        const { out, config, services } = context(command);
        const by = operator(options.by, io.env);
        const outcome = await rollBack(await services(config()).rollback(), {
          ...(options.to === undefined ? {} : { to: options.to }),
          by,
          scan: options.scan,
        });
        if (outcome.kind === 'refused') throw new CliFailure(outcome.reason, 'REFUSED');
        const { flow, release } = outcome;
        const model = flow.model === undefined ? flow.modelName : `${flow.model.name} ${flow.model.version}`;
        const from =
          outcome.from === undefined || outcome.from.flowId === flow.flowId
            ? ''
            : ` (was flow ${outcome.from.flowId})`;
        out.result(
          `rolled back to flow ${flow.flowId}${from}: build #${flow.build?.id ?? '?'} (${model}, ${flow.commit?.slice(0, 12) ?? 'no commit'}) released again as ${release.mode === 'classic' ? 'classic release' : 'deploy run'} #${release.id} ${release.url}`,
          {
            ok: true,
            flowId: flow.flowId,
            buildId: flow.build?.id ?? null,
            release,
            previousReleaseId: outcome.previousReleaseId ?? null,
            from: outcome.from?.flowId ?? null,
            by,
          },
        );
      },
    );

  program
    .command('replay-poison')
    .description(
      'move messages that gave up (flow-work-poison) back to the work queue, as POST /api/ops/replay-poison does',
    )
    .option('--limit <n>', `at most this many (1–${MAX_REPLAY})`, integerIn(1, MAX_REPLAY), 100)
    .action(async (options: { readonly limit: number }, command: Command) => {
      const { out, config, services } = context(command);
      const { app } = await services(config()).app();
      const result = await app.replayPoison(options.limit);
      out.result(`replayed ${result.replayed} message(s); ${result.remaining} left in the poison queue`, {
        ok: true,
        ...result,
      });
    });

  for (const command of program.commands) inherit(command, program);
  return program;
}

/** Subcommands report like the program (output, exit override). */
function inherit(command: Command, program: Command): void {
  command.copyInheritedSettings(program);
  for (const sub of command.commands) inherit(sub, program);
}

function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d{1,6}$/.test(value) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return Number(value);
  };
}

/** Who acts: `--by`, else the OS user; recorded in the flow's history. */
function operator(by: string | undefined, env: Env): string {
  let name = by;
  if (name === undefined) {
    try {
      name = userInfo().username;
    } catch {
      name = env.USER ?? env.USERNAME;
    }
  }
  if (name === undefined || !isSafeOperatorName(name))
    throw new CliFailure(
      `${name === undefined ? 'no OS user name' : `"${name}" is not usable as a name`}: say who acts with --by <name> (letters, digits, . _ @ + -)`,
      'OPERATOR_INVALID',
      2,
    );
  return name;
}

/** The result has been printed: exit non-zero with this one line. */
function quiet(message: string): CliFailure {
  return new CliFailure(message, 'CHECKS_FAILED', 1, true);
}

function cliLogger(verbose: boolean, write: (text: string) => void): Logger {
  const log = (level: string) => (message: string, properties?: Readonly<Record<string, unknown>>) => {
    if (verbose)
      write(`${level}: ${message}${properties === undefined ? '' : ` ${JSON.stringify(properties)}`}\n`);
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
