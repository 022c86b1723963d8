import type { Layout } from '../layout.js';
import type { ServiceSpec } from '../runtime/service.js';

export type { ServiceSpec };

/**
 * The desired state, fully resolved: defaults applied, placeholders substituted, paths absolute.
 * Built only by `loadDesired`; everything after it (observe, plan, apply) reads this.
 */
export interface Desired {
  /** absolute path of the file this was read from */
  file: string;
  version: string;
  /** the node root, absolute */
  root: string;
  /** every path under `root` (built once, from `root`) */
  layout: Layout;
  /** absolute path of the shared PebbleDB directory; default {root}/v{MAJOR}.{MINOR}/data/node/genlayer.db */
  sharedDb: string;
  release: {
    /** the tarball's URL for `version` */
    url: string;
    /** lower-case hex; when set, the download must match it */
    sha256: string | null;
  };
  llm: {
    /** provider name → enabled; providers not listed keep the release's value */
    providers: Record<string, boolean>;
    /** v0.5.7+ GenVM LLM strategy; null: keep the running version's (read from its lua_script_path) */
    strategy: LlmStrategy | null;
  };
  genvm: {
    /** argv run in the new version folder, no shell */
    setup: string[];
  };
  service: ServiceSpec;
  health: {
    url: string;
    /** how long a freshly started version may take to become healthy, in seconds */
    timeoutSeconds: number;
    /**
     * after a breaking switch (a DB of its own, synced from genesis): the new node is accepted
     * once its sync shows progress over this many seconds (at most timeoutSeconds)
     */
    progressSeconds: number;
  };
  /** absolute path of the config.yaml to install into a new version instead of carrying the running one's */
  configFile: string | null;
  preflight: {
    /** run the new version's `bin/genlayernode doctor` before the stop; a ✗ refuses */
    doctor: boolean;
    /** the WebDriver container that must be healthy before the stop; null: not checked */
    webdriver: string | null;
  };
  hooks: {
    /** argv lists run before the stop (cwd: the new version's folder, its .env exported); a failure refuses */
    preSwitch: string[][];
    /** argv lists run after every change of the running version, once the node is up; failures are reported */
    postSwitch: string[][];
  };
  /** prepared version folders kept besides the running one and the last known-good (default 3) */
  retain: number;
  metrics: {
    /** absolute path of node-exporter's textfile for glr's metrics; null: not written */
    textfile: string | null;
  };
  /** patch: `glr watch` prepares the newest release of the running MAJOR.MINOR series ahead */
  prepareAhead: 'off' | 'patch';
  /** the GenLayer network (asimov, bradbury): doctor's --network (v0.5.4+), shown by status; null: not named */
  network: string | null;
  /**
   * manager command: the node's user, group and environment files as the file names them (what
   * a systemd unit says itself); null with manager systemd. `user` null: not said (nothing is
   * chowned); `environmentFiles` null: the runbook's `{root}/.env`
   */
  runAs: { user: string | null; group: string | null; environmentFiles: { path: string; optional: boolean }[] | null } | null;
  telemetry: {
    /** the Alloy container that must read the running version's node.log; container null: not checked */
    alloy: { container: string | null; logPath: string };
  };
  /** absolute path of the .env to install into a new version (mode 600, byte for byte) instead of carrying the running one's */
  envFile: string | null;
  snapshots: {
    /** POST /snapshot (v0.5.11+) before the stop of a switch that keeps the running DB */
    beforeSwitch: boolean;
    /** snapshots kept under {root}/.glr/snapshots/ (default 2) */
    keep: number;
    /** a rollback of such a switch puts the DB back as its snapshot had it before starting the old version */
    restoreOnRollback: boolean;
  };
}

export type LlmStrategy = 'default' | 'greybox';

export const DEFAULTS = {
  root: '/opt/genlayer-node',
  releaseUrl: 'https://storage.googleapis.com/gh-af/genlayer-node/bin/amd64/{version}/genlayer-node-linux-amd64-{version}.tar.gz',
  genvmSetup: ['python3', '{versionDir}/third_party/genvm/bin/setup.py'],
  unit: 'genlayer-node',
  healthUrl: 'http://localhost:9153/health',
  timeoutSeconds: 300,
  progressSeconds: 60,
  snapshotsKept: 2,
  retain: 3,
  webdriver: 'genlayer-node-webdriver',
  alloyContainer: 'genlayer-node-alloy',
  alloyLogPath: '/var/log/genlayer/node.log',
} as const;
