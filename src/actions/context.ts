import type { Layout } from '../layout.js';
import type { Logger } from '../runtime/logger.js';
import type { ServiceManager } from '../runtime/service.js';
import type { SignalGuard } from '../runtime/signals.js';

/**
 * The means an action works with. What to do comes from the action itself (the plan); this only
 * says how to reach the host: paths, the service manager, the health URL, the log.
 */
export interface ApplyContext {
  layout: Layout;
  log: Logger;
  service: ServiceManager;
  healthUrl: string;
  signals: SignalGuard;
  /** values to scrub from text glr did not write (node logs, setup output) before logging it */
  secrets: string[];
  tuning: Tuning;
}

/**
 * Knobs an operator rarely needs, from the environment (documented in docs/operations.md).
 * Tests shorten them; the defaults suit a validator host.
 */
export interface Tuning {
  /** a download that sends nothing for this long fails */
  downloadStallMs: number;
  /** retries of a refused connection or a 5xx, with exponential backoff */
  downloadRetries: number;
  downloadRetryBaseMs: number;
  /** health polling interval while verifying */
  healthPollMs: number;
  /** how long `stop` may take to be confirmed by the status */
  confirmStopMs: number;
  /** GenVM setup may take this long */
  setupTimeoutMs: number;
  /** disk a download must leave free for the running node (GLR_DISK_RESERVE_MB, default 256) */
  diskReserveBytes: number;
  /** `glr watch`: the first wait before a failed release is retried; it doubles up to 12× */
  failureBackoffMs: number;
}

export function tuningFromEnv(env: NodeJS.ProcessEnv = process.env): Tuning {
  const num = (name: string, dflt: number) => {
    const raw = env[name]?.trim();
    const v = raw ? Number(raw) : NaN;
    return Number.isFinite(v) && v >= 0 ? v : dflt;
  };
  return {
    downloadStallMs: num('GLR_DOWNLOAD_STALL_SECONDS', 60) * 1000,
    downloadRetries: num('GLR_DOWNLOAD_RETRIES', 4),
    downloadRetryBaseMs: num('GLR_DOWNLOAD_RETRY_BASE_MS', 1000),
    healthPollMs: num('GLR_HEALTH_POLL_MS', 250),
    confirmStopMs: num('GLR_CONFIRM_STOP_SECONDS', 30) * 1000,
    setupTimeoutMs: num('GLR_SETUP_TIMEOUT_SECONDS', 1800) * 1000,
    diskReserveBytes: num('GLR_DISK_RESERVE_MB', 256) * 2 ** 20,
    failureBackoffMs: num('GLR_FAILURE_BACKOFF_SECONDS', 300) * 1000,
  };
}
