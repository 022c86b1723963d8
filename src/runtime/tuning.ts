import { z } from 'zod';
import { refuse } from '../errors.js';

/**
 * Knobs an operator rarely needs, from GLR_* environment variables (documented in
 * docs/operations.md). Validated as strictly as command-line flags: a value that is set but not
 * a number in range refuses the run with one line naming the variable. Unset or empty: the default.
 */
export interface Tuning {
  /** a download that sends nothing for this long fails */
  downloadStallMs: number;
  /** retries of a refused connection or a 5xx, with exponential backoff */
  downloadRetries: number;
  downloadRetryBaseMs: number;
  /** while verifying: a /health request is sent this often (several may be in flight) */
  healthPollMs: number;
  /** while verifying: one /health request may take this long before it is given up */
  healthRequestMs: number;
  /** while verifying: the service manager is asked this often whether the node still runs */
  statusPollMs: number;
  /**
   * service.manager command: how long a stop may take to be confirmed by the status (systemd
   * says its own: the unit's TimeoutStopSec); the default is systemd's DefaultTimeoutStopSec
   */
  confirmStopMs: number;
  /** GenVM setup may take this long */
  setupTimeoutMs: number;
  /** disk a download must leave free for the running node */
  diskReserveBytes: number;
  /** `glr watch`: the first wait before a failed release is retried; it doubles up to 12× */
  failureBackoffMs: number;
  /** one hook (hooks.preSwitch, hooks.postSwitch) or the doctor may run this long */
  hookTimeoutMs: number;
  /** after a restart of the Alloy container, how long it may take to read the node's log */
  telemetrySettleMs: number;
  /** `POST /snapshot` (snapshots.beforeSwitch) may take this long: a checkpoint of a large DB */
  snapshotTimeoutMs: number;
}

interface Knob {
  env: string;
  default: number;
  /** the variable's unit → the field's */
  scale: number;
  min: number;
  max: number;
}

const KNOBS: Record<keyof Tuning, Knob> = {
  downloadStallMs: { env: 'GLR_DOWNLOAD_STALL_SECONDS', default: 60, scale: 1000, min: 1, max: 3600 },
  downloadRetries: { env: 'GLR_DOWNLOAD_RETRIES', default: 4, scale: 1, min: 0, max: 20 },
  downloadRetryBaseMs: { env: 'GLR_DOWNLOAD_RETRY_BASE_MS', default: 1000, scale: 1, min: 1, max: 600_000 },
  healthPollMs: { env: 'GLR_HEALTH_POLL_MS', default: 20, scale: 1, min: 5, max: 10_000 },
  healthRequestMs: { env: 'GLR_HEALTH_REQUEST_MS', default: 1000, scale: 1, min: 50, max: 60_000 },
  statusPollMs: { env: 'GLR_STATUS_POLL_MS', default: 250, scale: 1, min: 20, max: 60_000 },
  confirmStopMs: { env: 'GLR_CONFIRM_STOP_SECONDS', default: 90, scale: 1000, min: 1, max: 3600 },
  setupTimeoutMs: { env: 'GLR_SETUP_TIMEOUT_SECONDS', default: 1800, scale: 1000, min: 1, max: 86_400 },
  diskReserveBytes: { env: 'GLR_DISK_RESERVE_MB', default: 256, scale: 2 ** 20, min: 0, max: 2 ** 30 },
  failureBackoffMs: { env: 'GLR_FAILURE_BACKOFF_SECONDS', default: 300, scale: 1000, min: 1, max: 86_400 },
  hookTimeoutMs: { env: 'GLR_HOOK_TIMEOUT_SECONDS', default: 300, scale: 1000, min: 1, max: 86_400 },
  telemetrySettleMs: { env: 'GLR_TELEMETRY_SETTLE_SECONDS', default: 60, scale: 1000, min: 1, max: 3600 },
  snapshotTimeoutMs: { env: 'GLR_SNAPSHOT_TIMEOUT_SECONDS', default: 1800, scale: 1000, min: 1, max: 86_400 },
};

/** The tuning knobs, by environment variable name (for docs and tests). */
export const TUNING_VARIABLES = Object.values(KNOBS).map((k) => ({ name: k.env, default: k.default, min: k.min, max: k.max }));

export function tuningFromEnv(env: NodeJS.ProcessEnv = process.env): Tuning {
  const out = {} as Tuning;
  for (const [field, k] of Object.entries(KNOBS) as [keyof Tuning, Knob][]) {
    const raw = env[k.env]?.trim();
    if (!raw) {
      out[field] = k.default * k.scale;
      continue;
    }
    const parsed = z.coerce.number().finite().min(k.min).max(k.max).safeParse(raw);
    if (!parsed.success) throw refuse(`${k.env}=${JSON.stringify(raw)}: must be a number from ${k.min} to ${k.max} (default ${k.default}); unset it or fix it`);
    out[field] = parsed.data * k.scale;
  }
  return out;
}
