/**
 * The watcher's memory of releases that failed (rolled back, or worse), so that a broken
 * release is not retried in a loop: it is tried again when the file changes, or after a backoff
 * that doubles from `firstMs` up to `maxMs`.
 */
export interface FailureRecord {
  version: string;
  sha256: string | null;
  /** a digest of the file's text when it failed: any edit of the file allows a retry */
  fileDigest: string;
  attempts: number;
  retryAt: number;
  reason: string;
  /** how the failed pass ended: what the metrics keep reporting (exit 3 or 4) while it waits */
  kind: 'rolled-back' | 'must-act' | 'refused';
}

export class FailureMemory {
  private record: FailureRecord | null = null;

  constructor(
    private readonly firstMs = 5 * 60_000,
    private readonly maxMs = 60 * 60_000,
  ) {}

  remember(version: string, sha256: string | null, fileDigest: string, reason: string, now: number, kind: FailureRecord['kind']): FailureRecord {
    const same = this.record && this.record.version === version && this.record.sha256 === sha256 && this.record.fileDigest === fileDigest;
    const attempts = same ? this.record!.attempts + 1 : 1;
    const delay = Math.min(this.maxMs, this.firstMs * 2 ** (attempts - 1));
    this.record = { version, sha256, fileDigest, attempts, retryAt: now + delay, reason, kind };
    return this.record;
  }

  /** The failure that holds this desired state back now, or null when a pass may try it. */
  blocking(version: string, sha256: string | null, fileDigest: string, now: number): FailureRecord | null {
    const r = this.record;
    if (!r || r.version !== version || r.sha256 !== sha256 || r.fileDigest !== fileDigest) return null;
    return now < r.retryAt ? r : null;
  }

  clear(): void {
    this.record = null;
  }
}
