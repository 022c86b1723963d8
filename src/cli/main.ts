#!/usr/bin/env node
import { ExitCode, errorLine, isGlrError } from '../errors.js';
import { createLogger, type Logger } from '../runtime/logger.js';

const HELP = `glr — keeps a GenLayer validator host at the state one YAML file describes

Usage:
  glr reconcile [-f FILE] [--dry-run] [--json]   observe, plan, and apply (or only print the plan)
  glr watch [-f FILE] [--interval SECONDS]       reconcile now, on every change of FILE, and every interval
  glr bump VERSION|--latest [-f FILE] [--sha256 HEX]   set version: (and release.sha256) in FILE, nothing else
  glr releases [-f FILE] [--json] [--pre] [--listing-url URL]   the versions in GenLayer's bucket
  glr status [-f FILE] [--json]                  what runs, links, health, prepared versions, last result
  glr prune [-f FILE] [--dry-run] [--json]       remove prepared versions retention does not keep

FILE defaults to ./desired-state.yaml. 'glr COMMAND --help' for each command.
Human output goes to stdout; logs to stderr (JSON lines unless stderr is a terminal).`;

/** the command's logger, once made: internal errors are logged through it too */
let activeLog: Logger | null = null;

/** The only place that exits: commands return an exit code or throw a GlrError. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const cwd = process.cwd();
  let log: Logger | null = null;
  try {
    // inside the try: a bad GLR_LOG_LEVEL is the operator's refusal, not a bug
    log = await createLogger();
    activeLog = log;
    switch (command) {
      case 'reconcile':
        return await (await import('./commands/reconcile.js')).reconcileCommand(rest, log, cwd);
      case 'status':
        return await (await import('./commands/status.js')).statusCommand(rest, cwd);
      case 'watch':
        return await (await import('./commands/watch.js')).watchCommand(rest, log, cwd);
      case 'bump':
        return await (await import('./commands/bump.js')).bumpCommand(rest, log, cwd);
      case 'prune':
        return await (await import('./commands/prune.js')).pruneCommand(rest, log, cwd);
      case 'releases':
        return await (await import('./commands/releases.js')).releasesCommand(rest, cwd);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${HELP}\n`);
        return command === undefined ? ExitCode.refused : ExitCode.ok;
      case '--version':
        process.stdout.write('glr 0.1.0\n');
        return ExitCode.ok;
      default:
        process.stderr.write(`glr: unknown command '${command}' (see glr --help)\n`);
        return ExitCode.refused;
    }
  } catch (e) {
    if (!isGlrError(e)) log?.error({ err: e }, 'unexpected error');
    else if (e.detail) log?.debug({ detail: e.detail }, 'error detail');
    for (const line of errorLine(e).split('\n')) process.stderr.write(`glr: ${line}\n`);
    return isGlrError(e) ? e.code : ExitCode.refused;
  }
}

/**
 * A bug, never an outcome: exit 1 with one "internal error" line (the details, a stack if there
 * is one, go to the log), never a stack trace on the terminal and never a silent 0.
 */
function internalError(what: string, err?: unknown): never {
  activeLog?.error(err === undefined ? {} : { err }, `internal error: ${what}`);
  process.stderr.write(`glr: ${errorLine(new Error(what))}\n`);
  process.exit(ExitCode.refused);
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

// The command's promise still pending when the event loop has nothing left to wait for means it
// waits on something that can never come (a callback a stream never calls, a body nobody reads):
// Node would exit 0, and a script, CI or cron would read success.
let pending = true;
process.on('beforeExit', () => {
  if (pending) internalError(`glr ${process.argv[2] ?? ''} was left waiting on something that can never happen (the event loop drained before it finished)`);
});
process.on('uncaughtException', (e) => internalError(message(e), e));
// a terminal that went away (a dropped SSH session: EIO; a closed pipe: EPIPE) is no failure of
// glr's: what it was writing is lost, and the run goes on to its end (signals.ts holds SIGHUP)
for (const out of [process.stdout, process.stderr]) out.on('error', () => {});

// exit explicitly: an idle keep-alive socket or a stray timer must not hold a finished command
main(process.argv.slice(2)).then(
  (code) => {
    pending = false;
    process.exit(code);
  },
  (e: unknown) => {
    pending = false;
    internalError(message(e), e);
  },
);
