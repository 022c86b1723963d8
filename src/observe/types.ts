import type { Backends } from '../genlayer/llm-config.js';
import type { BadRelease } from '../runtime/bad-releases.js';
import type { HealthReading } from '../runtime/health-reading.js';
import type { HistoryFacts } from '../runtime/history.js';
import type { JournalEntry } from '../runtime/journal-entry.js';
import type { PreparedMarker } from '../runtime/marker.js';
import type { ServiceState } from '../runtime/service.js';
import type { SyncReading } from '../genlayer/node-sync.js';
import type { TelemetryReading } from '../runtime/telemetry.js';

export type { TelemetryReading };

/**
 * What the host looks like now, as plain data (printable as JSON by `glr status --json`).
 * Read-only to build; the planner decides from it and from the desired state alone.
 * It never holds a secret: `.env` is seen as the names it sets, the keystore as a file count.
 */
export interface Observed {
  at: string;
  root: { path: string; exists: boolean; isDir: boolean };
  versions: VersionFolder[];
  links: LinksObservation;
  service: {
    state: ServiceState | null;
    problem: string | null;
    /** manager systemd: what `systemctl is-enabled` says; null when not asked or not told */
    enabled: string | null;
  };
  /** the node's one /health answer of this observation */
  health: HealthReading;
  /** the files a preparation carries, in the active version (`current`, or where the links agree) */
  runningFiles: RunningFiles | null;
  /** the LLM backends of each version folder that has the GenVM config, by version */
  llm: Record<string, LlmObservation>;
  sharedDb: { path: string; exists: boolean; isDir: boolean };
  diskFreeBytes: number | null;
  journal: JournalEntry | null;
  /** what the history says (read once per pass: the record of the pass reuses it) */
  history: HistoryFacts;
  /** leftover staging folders under {root}/.glr/staging from an interrupted run */
  staging: string[];
  /** version folders renamed aside under {root}/.glr/trash by a removal that has not finished */
  trash: string[];
  /** releases rolled back on this host (`{root}/.glr/bad-releases.json`), oldest first */
  bad: BadRelease[];
  /** what keeps glr from writing `{root}/.glr` (a file where a folder should be, read-only): one line each */
  glrProblems: string[];
  /** the desired version's folder, when it exists: what it ships at its top, its config.yaml */
  desiredFolder: DesiredFolder | null;
  /** the file's `configFile`, read (only its hash is kept); null when the file sets none */
  configFile: { path: string; sha256: string | null; problem: string | null } | null;
  /** the node's user, group, environment files and password, as its service gives them; null when not known */
  unit: NodeUnit | null;
  /** whether the Alloy container reads the running node's log; null when not asked (no container named, no node running) */
  telemetry: TelemetryReading | null;
  /** the DB the running version uses, the node config's keys, `envFile`, glr's snapshots (see DeploymentFacts) */
  deployment: DeploymentFacts;
  /** the node's sync as its /metrics says it, read once; null when it does not answer with it */
  sync: SyncReading | null;
}

/**
 * How the service runs the node: the systemd unit's word (`source: unit`) or the file's
 * (`service.user`, `service.group`, `service.environmentFiles` with manager command). Names only:
 * no value of an environment file, and no password written on ExecStart.
 */
export interface NodeUnit {
  source: 'unit' | 'file';
  /** `User=`; null: root, or not said */
  user: string | null;
  group: string | null;
  /** the numeric owner of the files glr writes for the node; null: root, or not said (nothing is chowned) */
  owner: { uid: number; gid: number } | null;
  /** why the user or group cannot be resolved on this host */
  problem: string | null;
  /** the names the unit's own `Environment=` sets non-empty (loaded before the files, which override them) */
  environmentNames: string[];
  /** every environment file the node is given, in the order it is loaded */
  environmentFiles: EnvFile[];
  /** variable name → the file that gives it to the node non-empty (the last one loaded); `.env` is the running version's */
  keys: Record<string, string>;
  /** ExecStart's `--password`: written on it, or `${NAME}` from the environment; null: none on it, or not known */
  password: { literal: true } | { variable: string } | null;
  /** ExecStart's program; null when not known (manager command) */
  program: string | null;
  workingDirectory: string | null;
  /** systemd's `TimeoutStopUSec` for the unit (Infinity: none); null: manager command, or not said */
  stopTimeoutMs: number | null;
}

/** How the unit's own `Environment=` lines are named where a key is said to be set (and kept apart by observe). */
export const UNIT_ENVIRONMENT = "the unit's Environment=";

/**
 * One of the node's environment files, as a step needs it: inside the version's folder (read
 * there: the carried copy), or outside it (the operator's: its names, as observed; its values,
 * kept apart by observe, reach only a child's environment).
 */
export type NodeEnvFile = { inVersion: string } | { path: string; names: string[] };

export interface EnvFile {
  /** as the unit (or the file) names it */
  path: string;
  /** written with a `-` prefix: a missing one is skipped */
  optional: boolean;
  /** where it lies inside the running version's folder (it is carried like .env); null: outside (the operator's, left where it is) */
  inVersion: string | null;
  exists: boolean;
  /** the names it sets non-empty */
  names: string[];
  /** why it cannot be used: unreadable, or missing while not optional */
  problem: string | null;
}

/**
 * What a breaking upgrade turns on (GenLayer: a new consensus deployment needs a database of its
 * own; config keys can be overridden from the environment). Key paths only, never a value.
 */
export interface DeploymentFacts {
  /** where the running version's `data/node/genlayer.db` leads; null when no version is active */
  runningDb: {
    version: string;
    /** the link itself (`{root}/V/data/node/genlayer.db`) */
    link: string;
    /** where it leads, absolute (the link's own path when it is a folder, not a link); null when there is nothing there */
    target: string | null;
    isLink: boolean;
    /** the target exists */
    exists: boolean;
    /** the desired `sharedDb` is that very folder (the same path, or the same device and inode); null when it cannot be told */
    sharedDbIsIt: boolean | null;
  } | null;
  nodeConfig: {
    /** key paths `configFile` sets otherwise than the running config.yaml (or that only one has); null when not comparable */
    changedByConfigFile: string[] | null;
    /** every key path of the running config and of `configFile` */
    keys: string[];
    /** the desired version's folder ships config.yaml.example: key paths it has that the config it runs with lacks (`missing`), and the reverse (`extra`) */
    drift: { missing: string[]; extra: string[] } | null;
  };
  /** the file's `envFile`: the names it sets non-empty (never a value); null when it sets none */
  envFile: { path: string; sha256: string | null; names: string[]; problem: string | null } | null;
  snapshots: {
    /** `{root}/.glr/snapshots` */
    dir: string;
    /** oldest first */
    entries: SnapshotFolder[];
    /** that folder (or where it would be) is on the shared DB's filesystem; null when either cannot be looked at */
    onDbFilesystem: boolean | null;
  };
}

export interface SnapshotFolder {
  name: string;
  path: string;
  /** the version whose DB it is a snapshot of */
  version: string;
  /** when it was taken (ISO) */
  at: string;
}

export interface DesiredFolder {
  version: string;
  /** its top-level entries (names), sorted */
  entries: string[];
  /** SHA-256 of its configs/node/config.yaml; null when it has none */
  configSha256: string | null;
}

export interface VersionFolder {
  version: string;
  /** glr's marker, written last: the folder is complete */
  prepared: PreparedMarker | null;
  /** glr created the folder and did not finish (a killed or failed run) */
  preparing: boolean;
  /** its data/node/genlayer.db is a folder of its own, not a link to the shared DB (its sync state diverged) */
  ownDb: boolean;
  /** the disk space it takes (du -s), when measured (`observe(…, { sizes: true })`) */
  bytes?: number | null;
}

export type LlmObservation =
  /** luaScriptPath: its `lua_script_path` (the LLM strategy's script), null when it has none */
  { ok: true; backends: Backends; luaScriptPath: string | null } | { ok: false; problem: string };

export interface LinkObservation {
  name: string;
  /** what readlink says */
  target: string;
  /** the link goes through `{root}/current` */
  viaCurrent: boolean;
  /** the version folder it resolves into; null when dangling or elsewhere */
  version: string | null;
}

export interface LinksObservation {
  /** `{root}/current` and the version it names; null when there is none (a runbook host) */
  current: { target: string; version: string | null } | null;
  /** every top-level link that resolves into a version folder, plus the runbook's six */
  switchLinks: LinkObservation[];
  /** runbook link names that do not exist at all */
  missing: string[];
  /** runbook link names that exist but are not symbolic links */
  notLinks: string[];
  /** the one version every existing switch link resolves into; null when they disagree or there are none */
  version: string | null;
  /**
   * every other top-level entry (not a switch link, not `current`, `.glr` or a version folder):
   * `target` is what readlink says for a link, null for anything else
   */
  others: { name: string; target: string | null }[];
}

export interface RunningFiles {
  version: string;
  configYaml: boolean;
  env: boolean;
  /** keystore folder present with at least one key file */
  keystore: boolean;
  keystoreFiles: number;
  /** names of the variables `.env` sets non-empty (never their values) */
  envNames: string[];
  /** keystore entries (and the folder itself, `.`) readable, writable or searchable by others: `name mode` */
  keystoreOpen: string[];
}
