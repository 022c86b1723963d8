import { statfs } from 'node:fs/promises';
import type { Desired } from './desired/types.js';
import { Layout } from './layout.js';
import type { Observed } from './observe/types.js';
import { runningVersion } from './observe/retention.js';
import { summarizeHistory } from './runtime/history.js';
import type { Logger } from './runtime/logger.js';
import { renderMetrics, writeMetricsFile } from './runtime/metrics.js';

/** How a pass ended, for the metrics textfile. */
export interface PassReport {
  /** the exit code `reconcile` gives for it (0, 1, 3, 4) */
  exitCode: number;
  /** the host is at its desired state now */
  converged: boolean;
  /** the host as the pass left it (observed after an apply); null when it could not be observed */
  observed: Observed | null;
  /** false while the desired-state file cannot be read (`glr watch` goes on with the last valid one) */
  fileReadable?: boolean;
}

/**
 * Writes `metrics.textfile` (when the file sets it) after a pass of `reconcile` or `watch`:
 * converged, applied, refused or failed alike, atomically (a temporary file renamed over it).
 * Never fails the pass: a write that fails is logged. `glr_running_version_info` is the version
 * the links name while the service runs; the history gives the last downtime and the rollbacks.
 */
export async function writePassMetrics(desired: Desired, r: PassReport, log: Logger): Promise<void> {
  const file = desired.metrics.textfile;
  if (!file) return;
  const layout = new Layout(desired.root);
  try {
    const o = r.observed;
    const [history, diskFreeBytes] = await Promise.all([
      summarizeHistory(layout.history).catch(() => ({ lastDowntime: null, rollbacksTotal: 0 })),
      o?.diskFreeBytes ??
        statfs(layout.root).then(
          (s) => s.bavail * s.bsize,
          () => null,
        ),
    ]);
    const text = renderMetrics({
      runningVersion: o && o.service.state === 'running' ? runningVersion(o) : null,
      desiredVersion: r.fileReadable === false ? null : desired.version,
      converged: r.converged,
      lastPassAt: new Date(),
      lastPassExitCode: r.exitCode,
      lastDowntimeMs: history.lastDowntime?.downtimeMs ?? null,
      rollbacksTotal: history.rollbacksTotal,
      preparedVersions: o ? o.versions.filter((v) => v.prepared !== null).length : null,
      diskFreeBytes,
    });
    await writeMetricsFile(file, text);
  } catch (e) {
    log.warn({ err: e, file }, `could not write the metrics textfile ${file}`);
  }
}
