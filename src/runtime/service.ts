import { refuse } from '../errors.js';
import { run } from './exec.js';
import { serviceDescription } from './service-name.js';
import { clip, tail } from './text.js';
import { parseTimespanMs } from './timespan.js';

/**
 * What the service manager says about the node:
 * - running: a node process is (or may be) up
 * - stopped: confirmed not running, and nothing will start it by itself
 * - restarting: not running now, but the manager will start it again (systemd auto-restart)
 */
export type ServiceState = 'running' | 'stopped' | 'restarting';

export interface ServiceManager {
  /** e.g. "systemd unit genlayer-node" */
  readonly description: string;
  /** throws GlrError when the state cannot be told: never guess that a node is stopped */
  state(): Promise<ServiceState>;
  start(): Promise<void>;
  /**
   * Asks the node to stop. Its exit code is only a hint (a stop command may stop the node and
   * then fail, or return before the node has gone): the caller asks `state()` to decide.
   * `timeoutMs`: how long the command itself may run (default SERVICE_TIMEOUTS.stopMs).
   */
  stop(timeoutMs?: number): Promise<void>;
  /**
   * How long a stop may take before the manager itself gives up on it: systemd's `TimeoutStopSec`
   * of the unit as observe read it (plus the time its final SIGKILL takes), asked nothing in the
   * switch window; `fallbackMs` for a manager that does not say (service.manager command) or
   * when it was not read.
   */
  stopBoundMs(fallbackMs: number): number;
  /**
   * systemd only: the state and what the unit says about the node's environment, from one
   * `systemctl show` (the one `state()` asks too)
   */
  look?(): Promise<{ state: ServiceState; unit: UnitFacts }>;
  /**
   * systemd only: what `systemctl is-enabled UNIT` says (`enabled`, `disabled`, `masked`...), or
   * null when it cannot be told. A unit that is not enabled does not come back after a reboot.
   */
  enabled?(): Promise<string | null>;
}

/** How the node is run: the file's `service:` section, resolved (see desired/types.ts). */
export type ServiceSpec =
  { running: boolean; manager: 'systemd'; unit: string } | { running: boolean; manager: 'command'; start: string[]; stop: string[]; status: string[] };

/**
 * What a systemd unit says about the node's environment, as `systemctl show` prints it. The
 * ExecStart argv is as the unit writes it (variables unexpanded) and may hold a literal password:
 * it never leaves observe (see observe/node-unit.ts).
 */
export interface UnitFacts {
  /** `User=`; null when unset (the unit runs as root) */
  user: string | null;
  /** `Group=`; null when unset (the user's own group) */
  group: string | null;
  /** `EnvironmentFile=` in the unit's order; `optional`: written with a `-` prefix (a missing one is skipped) */
  environmentFiles: { path: string; optional: boolean }[];
  /** the first `ExecStart=`'s argv; null when it has none */
  execStart: string[] | null;
  /** `WorkingDirectory=`, its `-`/`!` prefixes taken off; null when unset */
  workingDirectory: string | null;
  /** `Environment=` assignments (values may be secrets: they never leave observe) */
  environment: Record<string, string>;
  /** `TimeoutStopUSec`: how long systemd lets a stop take before its SIGKILL (Infinity: no limit); null when unsaid */
  stopTimeoutMs: number | null;
}

/** The properties read with the state, in one `systemctl show`. */
const SHOWN = ['LoadState', 'ActiveState', 'SubState', 'User', 'Group', 'Environment', 'EnvironmentFiles', 'ExecStart', 'WorkingDirectory', 'TimeoutStopUSec'];

/**
 * `systemctl show` output → the unit's facts. EnvironmentFiles comes one line per file
 * (`PATH (ignore_errors=yes)`), ExecStart as `{ path=… ; argv[]=ARGS ; ignore_errors=… ; … }`.
 */
export function parseUnitFacts(output: string): UnitFacts {
  const facts: UnitFacts = { user: null, group: null, environmentFiles: [], execStart: null, workingDirectory: null, environment: {}, stopTimeoutMs: null };
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const [key, value] = [line.slice(0, eq), line.slice(eq + 1).trim()];
    if (key === 'User' && value) facts.user = value;
    else if (key === 'Group' && value) facts.group = value;
    else if (key === 'WorkingDirectory' && value) facts.workingDirectory = value.replace(/^[-!]+/, '') || null;
    else if (key === 'TimeoutStopUSec') facts.stopTimeoutMs = parseTimespanMs(value);
    else if (key === 'Environment' && value) {
      // `A=1 "B=with space"`: one assignment per word, a word in double quotes kept whole
      for (const m of value.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
        const a = m[1] ?? m[2]!;
        const i = a.indexOf('=');
        if (i > 0) facts.environment[a.slice(0, i)] = a.slice(i + 1);
      }
    } else if (key === 'EnvironmentFiles' && value) {
      const m = /^(.*?)\s+\(ignore_errors=(yes|no)\)$/.exec(value);
      facts.environmentFiles.push({ path: m ? m[1]! : value, optional: m?.[2] === 'yes' });
    } else if (key === 'ExecStart' && value && facts.execStart === null) {
      const argv = /argv\[\]=(.*?) ; (?:ignore_errors|flags)=/.exec(value)?.[1];
      if (argv) facts.execStart = argv.split(' ').filter(Boolean);
    }
  }
  return facts;
}

export const SERVICE_TIMEOUTS = { statusMs: 15_000, startMs: 120_000, stopMs: 180_000 };

/** systemd's TimeoutStopSec=infinity waits for ever; glr waits at most this long */
const STOP_BOUND_CAP_MS = 30 * 60_000;
/** after TimeoutStopSec systemd sends SIGKILL and waits for the processes to go */
const SYSTEMD_KILL_MARGIN_MS = 15_000;

/**
 * `scrub` is applied to any text of the manager's own output quoted in a message: an operator's
 * start/stop script may print anything, a secret included. `stopTimeoutMs`: the unit's
 * `TimeoutStopUSec` as observe read it (systemd only).
 */
export function serviceManager(spec: ServiceSpec, scrub: (text: string) => string = (t) => t, stopTimeoutMs: number | null = null): ServiceManager {
  return spec.manager === 'systemd' ? new Systemd(spec.unit, scrub, stopTimeoutMs) : new CommandManager(spec.start, spec.stop, spec.status, scrub);
}

class Systemd implements ServiceManager {
  readonly description: string;
  constructor(
    private readonly unit: string,
    private readonly scrub: (text: string) => string,
    private readonly stopTimeoutMs: number | null,
  ) {
    this.description = serviceDescription({ manager: 'systemd', unit, running: true });
  }

  async state(): Promise<ServiceState> {
    return (await this.look()).state;
  }

  async look(): Promise<{ state: ServiceState; unit: UnitFacts }> {
    const r = await run(['systemctl', 'show', `--property=${SHOWN.join(',')}`, '--', this.unit], {
      timeoutMs: SERVICE_TIMEOUTS.statusMs,
    });
    if (r.exitCode !== 0) {
      throw refuse(
        `cannot tell whether ${this.description} runs: systemctl show ${r.failure ?? `exited ${r.exitCode}`}${r.output ? `: ${this.scrub(clip(tail(r.output, 1), 120))}` : ''}; glr never guesses that a node is stopped`,
      );
    }
    const props = Object.fromEntries(r.output.split('\n').map((l) => l.split('=', 2) as [string, string]));
    if (props.LoadState === 'not-found') throw refuse(`${this.description} is not known to systemd (service.unit in the file)`);
    return { state: this.stateOf(props), unit: parseUnitFacts(r.output) };
  }

  private stateOf(props: Record<string, string>): ServiceState {
    switch (props.ActiveState) {
      case 'inactive':
      case 'failed':
        return 'stopped';
      case 'activating':
        return props.SubState === 'auto-restart' ? 'restarting' : 'running';
      case 'active':
      case 'reloading':
      case 'deactivating':
        return 'running';
      default:
        throw refuse(`cannot tell whether ${this.description} runs: ActiveState=${props.ActiveState ?? '?'}`);
    }
  }

  async enabled(): Promise<string | null> {
    const r = await run(['systemctl', 'is-enabled', '--', this.unit], { timeoutMs: SERVICE_TIMEOUTS.statusMs });
    // exits 1 for disabled, masked...: the answer is the first line either way
    const answer = r.failure ? '' : (r.output.split('\n')[0] ?? '').trim();
    return /^[a-z-]+$/.test(answer) ? answer : null;
  }

  stopBoundMs(fallbackMs: number): number {
    return this.stopTimeoutMs === null ? fallbackMs : Math.min(this.stopTimeoutMs, STOP_BOUND_CAP_MS) + SYSTEMD_KILL_MARGIN_MS;
  }

  async start(): Promise<void> {
    await this.systemctl('start', SERVICE_TIMEOUTS.startMs);
  }
  async stop(timeoutMs = SERVICE_TIMEOUTS.stopMs): Promise<void> {
    await this.systemctl('stop', timeoutMs);
  }
  private async systemctl(verb: 'start' | 'stop', timeoutMs: number): Promise<void> {
    const r = await run(['systemctl', verb, '--', this.unit], { timeoutMs });
    if (r.exitCode !== 0) {
      throw refuse(
        `systemctl ${verb} ${this.unit} failed: ${r.failure ?? `exit ${r.exitCode}`}${r.output ? `: ${this.scrub(clip(tail(r.output, 1), 120))}` : ''}`,
      );
    }
  }
}

const UNSURE_EXITS: Record<number, string> = {
  4: 'exit 4: status unknown',
  126: 'exit 126: its command could not be run',
  127: 'exit 127: its command was not found',
};

/** `service.manager: command`: three argv lists, as the contract defines them. */
class CommandManager implements ServiceManager {
  readonly description: string;
  constructor(
    private readonly startArgv: string[],
    private readonly stopArgv: string[],
    private readonly statusArgv: string[],
    private readonly scrub: (text: string) => string,
  ) {
    this.description = serviceDescription({ manager: 'command', start: startArgv, stop: stopArgv, status: statusArgv, running: true });
  }

  /**
   * 0: running. A status that could not run or tell is never read as "stopped" (glr would then
   * start a second node): not found, not executable, killed, timed out, and the exit codes that
   * say so by convention (4: LSB "unknown", 126/127: a wrapper could not run its command,
   * 128+N: killed by signal N). Any other exit: stopped.
   */
  async state(): Promise<ServiceState> {
    const r = await run(this.statusArgv, { timeoutMs: SERVICE_TIMEOUTS.statusMs });
    const unsure =
      r.exitCode === null ? r.failure : (UNSURE_EXITS[r.exitCode] ?? (r.exitCode >= 128 ? `exit ${r.exitCode}: killed by signal ${r.exitCode - 128}` : null));
    if (unsure) {
      // (its output is not quoted: it is the operator's command, and may print anything)
      throw refuse(
        `cannot tell whether the node runs: service.status failed (${unsure}); glr never guesses that a node is stopped: fix service.status in the file and run again`,
      );
    }
    return r.exitCode === 0 ? 'running' : 'stopped';
  }
  async start(): Promise<void> {
    await this.invoke('start', this.startArgv, SERVICE_TIMEOUTS.startMs);
  }
  async stop(timeoutMs = SERVICE_TIMEOUTS.stopMs): Promise<void> {
    await this.invoke('stop', this.stopArgv, timeoutMs);
  }
  stopBoundMs(fallbackMs: number): number {
    return fallbackMs;
  }
  private async invoke(what: string, argv: string[], timeoutMs: number): Promise<void> {
    const r = await run(argv, { timeoutMs });
    if (r.exitCode !== 0) {
      throw refuse(`the ${what} command failed: ${r.failure ?? `exit ${r.exitCode}`}${r.output ? `: ${this.scrub(clip(tail(r.output, 1), 120))}` : ''}`);
    }
  }
}
