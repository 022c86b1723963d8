import { parseDesired, readDesired } from '../desired/load.js';
import type { Desired } from '../desired/types.js';
import { InterruptedError, isGlrError } from '../errors.js';
import { aheadCandidate } from '../plan/ahead.js';
import { reusable } from '../plan/checks.js';
import type { Observed } from '../observe/types.js';
import { stepsOf } from '../plan/steps.js';
import { prepareAheadPass } from '../reconcile.js';
import { fetchReleaseVersions, listingUrlFor } from '../releases/listing.js';
import { readBadReleases } from '../runtime/bad-releases.js';
import type { HeldLock } from '../runtime/lock.js';
import type { Logger } from '../runtime/logger.js';
import { SignalGuard } from '../runtime/signals.js';
import { FailureMemory } from './failures.js';

/** the key under which a failed listing is remembered */
const LISTING = 'the bucket listing';

export interface AheadOptions {
  log: Logger;
  /** the watcher's interval: the bucket is listed at most this often */
  intervalMs: number;
  /** the first wait after a failed preparation (or listing); it doubles up to 12× */
  backoffMs: number;
  /** the watcher's guard: SIGTERM/SIGINT cancel a preparation under way */
  signals: SignalGuard;
}

/**
 * `prepareAhead: patch` in `glr watch`. After a pass that left the host converged, at most once
 * per interval, it lists the bucket (as `glr releases` does) and prepares the newest release of
 * the running MAJOR.MINOR series (no release candidate, none rolled back here) beside the
 * running node, switching nothing: download → setup → carry → link the DB → LLM → check → mark
 * prepared, then retention. A bump to that version later needs only the switch.
 *
 * Never in the way of the watcher's own passes: a failure (of the listing or the preparation) is
 * logged and retried after a backoff that doubles from `backoffMs`, and a change of the file while
 * it prepares cancels it — unless the file now asks for the very version being prepared, whose
 * switch then follows it at once.
 */
export class AheadPreparer {
  private listedAt = 0;
  /** the bucket's listing that failed, backed off as a failed preparation is */
  private readonly listing: FailureMemory;
  private readonly failures: FailureMemory;
  private preparing: { version: string; guard: SignalGuard; cancelledFor: string | null } | null = null;
  /** the last reason a preparation could not begin (said once, not at every interval) */
  private notNow: string | null = null;

  constructor(private readonly o: AheadOptions) {
    this.failures = new FailureMemory(o.backoffMs, o.backoffMs * 12);
    this.listing = new FailureMemory(o.backoffMs, o.backoffMs * 12);
  }

  /**
   * After a pass that left `desired` converged: prepare the next patch release, if it is time and
   * there is one. `seen`: the host as that pass observed it, when nothing was applied since (a
   * release it shows prepared already needs no second look at the host).
   */
  async afterConverged(desired: Desired, text: string, lock: HeldLock, seen: Observed | null): Promise<void> {
    if (desired.prepareAhead !== 'patch') return;
    const { log } = this.o;
    const now = Date.now();
    if (now < this.listedAt + this.o.intervalMs || this.listing.blocking(LISTING, null, '', now)) return;
    this.listedAt = now;
    const listing = listingUrlFor(desired.release.url, desired.version);
    if (!listing) {
      log.warn({ url: desired.release.url }, 'prepareAhead: cannot derive the bucket listing from release.url; nothing is prepared ahead');
      return;
    }
    let published: string[];
    try {
      published = await fetchReleaseVersions(listing, { log });
      this.listing.clear();
    } catch (e) {
      const reason = isGlrError(e) ? e.message : String(e);
      const f = this.listing.remember(LISTING, null, '', reason, now, 'refused');
      log.warn({ retryAt: new Date(f.retryAt).toISOString() }, `prepareAhead: ${reason}`);
      return;
    }
    const bad = seen ? seen.bad.map((b) => b.version) : (await readBadReleases(desired.layout).catch(() => [])).map((b) => b.version);
    const version = aheadCandidate(published, desired.version, bad);
    if (!version) {
      log.debug({ running: desired.version }, 'prepareAhead: no newer patch release');
      return;
    }
    const blocked = this.failures.blocking(version, null, '', now);
    if (blocked) {
      log.debug({ version, retryAt: new Date(blocked.retryAt).toISOString() }, `prepareAhead: ${version} failed before; waiting`);
      return;
    }
    const parsed = parseDesired(text, desired.file, { forVersion: version });
    if (!parsed.ok) return;
    if (
      seen &&
      reusable(
        seen.versions.find((f) => f.version === version),
        parsed.desired,
        seen.deployment.envFile?.sha256 ?? null,
      ) === 'ready'
    ) {
      log.debug({ version }, `prepareAhead: ${version} is prepared already`);
      return;
    }
    await this.prepare(parsed.desired, lock);
  }

  /**
   * The file changed: a preparation under way is cancelled, unless the file now asks for the
   * version it prepares (the pass after it then only switches).
   */
  async fileChanged(file: string): Promise<void> {
    const p = this.preparing;
    if (!p) return;
    const read = await readDesired(file).catch(() => null);
    const asks = read?.parsed.ok ? read.parsed.desired.version : null;
    if (asks === p.version || this.preparing !== p) return;
    p.cancelledFor = asks ?? 'an unreadable file';
    p.guard.request('SIGTERM');
  }

  private async prepare(ahead: Desired, lock: HeldLock): Promise<void> {
    const { log, signals } = this.o;
    const guard = new SignalGuard(log);
    const forward = () => guard.request(signals.pending ?? 'SIGTERM');
    signals.signal.addEventListener('abort', forward);
    const me = { version: ahead.version, guard, cancelledFor: null as string | null };
    this.preparing = me;
    const started = Date.now();
    log.info({ version: ahead.version }, `prepareAhead: preparing ${ahead.version} beside the running node`);
    try {
      const r = await prepareAheadPass(ahead, {
        log,
        signals: guard,
        lock,
        onPlan: (p) => log.info({ steps: stepsOf(p).map((x) => x.step.kind) }, `prepareAhead: plan for ${p.target}`),
      });
      const o = r.outcome;
      if (o.kind === 'applied') {
        this.failures.clear();
        this.notNow = null;
        log.info({ version: ahead.version, ms: Date.now() - started }, o.message);
      } else if (o.kind === 'refused' && (me.cancelledFor !== null || signals.signal.aborted)) {
        log.info(
          { version: ahead.version },
          `prepareAhead: ${ahead.version} cancelled (${me.cancelledFor ? `the file now asks for ${me.cancelledFor}` : 'glr watch is stopping'})`,
        );
      } else if (o.kind === 'refused' && (o.stage === 'observe' || o.stage === 'plan')) {
        // not now (the node is not healthy, a switch is under way, a folder is in the way): no backoff
        if (this.notNow !== o.message) log.info({ version: ahead.version }, `prepareAhead: not preparing ${ahead.version} now: ${o.reasons[0] ?? o.message}`);
        this.notNow = o.message;
      } else if (o.kind === 'refused') {
        this.fail(ahead.version, o.message);
      }
    } catch (e) {
      if (e instanceof InterruptedError) return;
      this.fail(ahead.version, isGlrError(e) ? e.message : `internal error (this is a bug in glr): ${String(e)}`);
    } finally {
      signals.signal.removeEventListener('abort', forward);
      this.preparing = null;
    }
  }

  private fail(version: string, reason: string): void {
    const f = this.failures.remember(version, null, '', reason, Date.now(), 'refused');
    this.o.log.warn(
      { version, attempts: f.attempts, retryAt: new Date(f.retryAt).toISOString() },
      `prepareAhead: preparing ${version} failed: ${reason.split('\n')[0]}; trying again at ${new Date(f.retryAt).toISOString()}`,
    );
  }
}
