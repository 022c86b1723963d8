import { atomicWriteFile } from './fsx.js';

/**
 * glr's Prometheus metrics, as a file for node-exporter's textfile collector
 * (`--collector.textfile.directory`; `metrics.textfile` in desired-state.yaml). The renderer is
 * pure: the caller gathers the values after a pass (src/record.ts: from the pass's outcome, its
 * plan and what observe read of the host and the history) and writes the text with `writeMetricsFile`.
 *
 * Every family always has its HELP and TYPE lines. A value that does not exist is no sample (the
 * series goes stale in Prometheus; `absent()` sees it), never a made-up 0:
 * - `glr_running_version_info`: no sample while no node runs;
 * - `glr_desired_version_info`: no sample while the desired-state file cannot be read;
 * - `glr_last_downtime_seconds`: no sample until an apply has had a downtime;
 * - `glr_prepared_versions`: no sample when the root could not be looked at;
 * - `glr_disk_free_bytes`: no sample when the free space could not be read;
 * - `glr_telemetry_stale`: no sample when no Alloy container is checked (none named, no node running).
 * - `glr_node_blocks_behind`: no sample when the node's /metrics was not read.
 * Samples carry no timestamps (the textfile collector refuses them).
 */

/** The values of one write of the textfile. */
export interface MetricsInput {
  /** the version that runs now (the one `current` names, its node up); null when no node runs */
  runningVersion: string | null;
  /** the version desired-state.yaml asks for; null when the file could not be read */
  desiredVersion: string | null;
  /** the host is at its desired state after the last pass */
  converged: boolean;
  /** when the last pass ended */
  lastPassAt: Date;
  /** the exit code the last pass gave (0, 1, 3, 4; 2 never: the textfile is not written on a dry-run) */
  lastPassExitCode: number;
  /** `downtimeMs` of the newest history record that has one (`HistoryFacts.lastDowntimeMs`, or this pass's); null: none */
  lastDowntimeMs: number | null;
  /** `HistoryFacts.rollbacksTotal` (and this pass's): rolled-back outcomes ever recorded on this host; survives rotation */
  rollbacksTotal: number;
  /** version folders glr prepared or adopted under the root, the running one included; null: unknown */
  preparedVersions: number | null;
  /** bytes available to glr on the root's filesystem (statfs bavail × bsize); null: unknown */
  diskFreeBytes: number | null;
  /** the Alloy container does not read the running node's log (stale, or it cannot be told); null: not checked */
  telemetryStale: boolean | null;
  /** the node's `genlayer_node_blocks_behind` as the pass last read it; null: not read (no sample) */
  nodeBlocksBehind?: number | null;
}

/** The metric names, in the order they are written (the contract's list). */
export const METRIC_NAMES = [
  'glr_running_version_info',
  'glr_desired_version_info',
  'glr_converged',
  'glr_last_pass_timestamp_seconds',
  'glr_last_pass_exit_code',
  'glr_last_downtime_seconds',
  'glr_rollbacks_total',
  'glr_prepared_versions',
  'glr_disk_free_bytes',
  'glr_telemetry_stale',
  'glr_node_blocks_behind',
] as const;

type MetricName = (typeof METRIC_NAMES)[number];

interface Sample {
  labels?: Record<string, string>;
  value: number;
}

const HELP: Record<MetricName, [type: 'gauge' | 'counter', help: string]> = {
  glr_running_version_info: ['gauge', 'The GenLayer node version that runs (always 1; no sample while no node runs).'],
  glr_desired_version_info: ['gauge', 'The version the desired-state file asks for (always 1; no sample while the file cannot be read).'],
  glr_converged: ['gauge', '1 when the host was at its desired state at the end of the last pass, else 0.'],
  glr_last_pass_timestamp_seconds: ['gauge', 'When the last reconcile pass ended, in seconds since the Unix epoch.'],
  glr_last_pass_exit_code: ['gauge', 'Exit code of the last pass: 0 converged or applied, 1 refused, 3 rolled back, 4 the operator must act.'],
  glr_last_downtime_seconds: ['gauge', 'Node downtime of the last apply that stopped the node: the old node last healthy to the new one first healthy.'],
  glr_rollbacks_total: ['counter', "Rollbacks recorded in this host's history (applies whose outcome was rolled-back)."],
  glr_prepared_versions: ['gauge', 'Version folders prepared or adopted by glr under the node root, the running one included.'],
  glr_disk_free_bytes: ['gauge', 'Bytes available on the filesystem of the node root.'],
  glr_telemetry_stale: ['gauge', "1 when the Alloy container does not read the running node's log (stale bind mount, or it cannot be checked), else 0."],
  glr_node_blocks_behind: ['gauge', "Blocks the node's sync is behind the chain, as the last pass read its /metrics (no sample when it could not)."],
};

/**
 * The textfile's content for `input`: for each name of `METRIC_NAMES`, `# HELP`, `# TYPE`, then
 * its sample (none for a null value, see above). Label values are escaped as the exposition format
 * says (`\` → `\\`, `"` → `\"`, newline → `\n`). Ends with a newline. Passes `promtool check
 * metrics`.
 */
export function renderMetrics(input: MetricsInput): string {
  const samples: Record<MetricName, Sample[]> = {
    glr_running_version_info: input.runningVersion === null ? [] : [{ labels: { version: input.runningVersion }, value: 1 }],
    glr_desired_version_info: input.desiredVersion === null ? [] : [{ labels: { version: input.desiredVersion }, value: 1 }],
    glr_converged: [{ value: input.converged ? 1 : 0 }],
    glr_last_pass_timestamp_seconds: [{ value: input.lastPassAt.getTime() / 1000 }],
    glr_last_pass_exit_code: [{ value: input.lastPassExitCode }],
    glr_last_downtime_seconds: input.lastDowntimeMs === null ? [] : [{ value: input.lastDowntimeMs / 1000 }],
    glr_rollbacks_total: [{ value: input.rollbacksTotal }],
    glr_prepared_versions: input.preparedVersions === null ? [] : [{ value: input.preparedVersions }],
    glr_disk_free_bytes: input.diskFreeBytes === null ? [] : [{ value: input.diskFreeBytes }],
    glr_telemetry_stale: input.telemetryStale === null ? [] : [{ value: input.telemetryStale ? 1 : 0 }],
    glr_node_blocks_behind: input.nodeBlocksBehind === null || input.nodeBlocksBehind === undefined ? [] : [{ value: input.nodeBlocksBehind }],
  };
  const lines: string[] = [];
  for (const name of METRIC_NAMES) {
    const [type, help] = HELP[name];
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const s of samples[name]) lines.push(`${name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes the textfile so that node-exporter reads the old content or the new, never a part: a
 * temporary file in the same folder (`.NAME.PID.RANDOM.tmp`, which the collector ignores: it
 * reads `*.prom` only), mode 0644 from the start, fsync, rename over `file`. Creates nothing but
 * the file: a missing folder is an error (ENOENT), not created.
 */
export async function writeMetricsFile(file: string, text: string): Promise<void> {
  await atomicWriteFile(file, text, 0o644);
}

/** A label value as the text exposition format writes it (inside the double quotes). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatLabels(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return `{${parts.join(',')}}`;
}

/** A sample value: Go's ParseFloat reads JS's number text; the special values are spelled out. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
