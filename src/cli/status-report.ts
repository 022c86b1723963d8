import type { Desired } from '../desired/types.js';
import { unreadable } from '../observe/glr-folder.js';
import { observe } from '../observe/observe.js';
import type { Observed } from '../observe/types.js';
import { plan } from '../plan/plan.js';
import { linkedVersion } from '../observe/linked-version.js';
import { retentionNow, totalBytes } from '../plan/retention.js';
import { isConverged, stepsOf } from '../plan/steps.js';
import { isHealthyOn } from '../runtime/health-reading.js';
import { failedRuns, readHookReport } from '../runtime/hook-report.js';
import { readHistory } from '../runtime/history.js';
import { isOpen } from '../runtime/journal-entry.js';
import { lockHolder } from '../runtime/lock.js';
import { syncReport, type SyncReport } from './status-sync.js';

/**
 * `glr status --json`: one value, version 1, documented field by field in docs/status.md. Fields
 * are only ever added to version 1; a change of meaning or a removal makes it version 2.
 * Everything here is read without writing anything and without taking the lock.
 */
export interface StatusReport {
  version: 1;
  at: string;
  file: string;
  root: { path: string; exists: boolean };
  desired: { version: string; retain: number; prepareAhead: 'off' | 'patch'; metricsTextfile: string | null; network: string | null };
  running: {
    version: string | null;
    service: string | null;
    serviceProblem: string | null;
    healthy: boolean;
    health: {
      answered: boolean;
      httpStatus: number | null;
      status: string | null;
      nodeVersion: string | null;
      genvmVersion: string | null;
      network: string | null;
      checks: Record<string, { status: string | null; error: string | null }>;
      problem: string | null;
    };
    syncedBlock: number | null;
  };
  links: {
    current: string | null;
    version: string | null;
    agree: boolean;
    entries: { name: string; target: string; viaCurrent: boolean; version: string | null }[];
    missing: string[];
    notLinks: string[];
  };
  versions: {
    version: string;
    state: 'prepared' | 'adopted' | 'unfinished' | 'foreign';
    preparedAt: string | null;
    bytes: number | null;
    roles: ('running' | 'last-known-good' | 'desired' | 'bad' | 'journal')[];
    retention: 'keep' | 'remove' | 'untouched';
    why: string;
  }[];
  lastKnownGood: string | null;
  bad: { version: string; at: string; reason: string }[];
  retention: { retain: number; remove: { version: string; why: 'bad' | 'beyond-retain'; bytes: number | null }[]; reclaimableBytes: number | null };
  history: {
    at: string;
    from: string | null;
    version: string;
    outcome: string;
    exitCode: number;
    downtimeMs: number | null;
    windowMs: number | null;
    reason: string | null;
  }[];
  rollbacksTotal: number;
  lock: { pid: number | null; command: string | null; since: string | null; host: string | null } | null;
  plan: { state: 'converged' | 'pending' | 'refused'; steps: string[]; refusals: string[]; warnings: string[]; notes: string[] };
  hooks: {
    at: string;
    outcome: 'switched' | 'rolled-back';
    running: string;
    from: string | null;
    runs: number;
    failed: { argv: string[]; exitCode: number | null; failure: string | null; output: string | null }[];
  } | null;
  journal: { leaving: string | null; entering: string; phase: string; at: string; open: boolean; reason: string | null } | null;
  sharedDb: { path: string; exists: boolean };
  carry: { version: string; configYaml: boolean; env: boolean; envNames: string[]; keystoreFiles: number } | null;
  diskFreeBytes: number | null;
  trash: string[];
  /** how the service runs the node (names only: never a value, never a password) */
  node: {
    source: 'unit' | 'file';
    user: string | null;
    group: string | null;
    password: 'on-execstart' | string | null;
    program: string | null;
    environmentFiles: { path: string; optional: boolean; inVersion: string | null; exists: boolean; names: string[] }[];
  } | null;
  telemetry: { container: string; logPath: string; state: 'fresh' | 'stale' | 'unknown'; detail: string | null } | null;
  /** the node's sync (/metrics), with its pace while it syncs; null when /metrics did not answer */
  sync: SyncReport | null;
  /** glr's snapshots of the shared DB (snapshots.beforeSwitch), oldest first */
  snapshots: { name: string; path: string; version: string; at: string }[];
}

/** How many history records status shows, newest first. */
const STATUS_HISTORY = 10;

export async function statusReport(desired: Desired): Promise<StatusReport> {
  const { layout } = desired;
  const [o, history, lock, hooks] = await Promise.all([
    observe(desired, { sizes: true }),
    readHistory(layout.history, { last: STATUS_HISTORY }).catch((e: unknown) => {
      throw unreadable(desired.root, layout.glrDir, e);
    }),
    lockHolder(desired.root),
    readHookReport(layout).catch(() => null),
  ]);
  const p = plan(desired, o);
  const r = retentionNow(desired, o);
  const running = linkedVersion(o);
  const bad = new Set(o.bad.map((b) => b.version));
  const journal = isOpen(o.journal) ? [o.journal.leaving, o.journal.entering] : [];
  const fate = new Map<string, { retention: 'keep' | 'remove' | 'untouched'; why: string }>([
    ...r.keep.map((k) => [k.version, { retention: 'keep' as const, why: k.why }] as const),
    ...r.remove.map((k) => [k.version, { retention: 'remove' as const, why: k.why }] as const),
    ...r.untouched.map((k) => [k.version, { retention: 'untouched' as const, why: k.why }] as const),
  ]);
  const h = o.health;
  const sync = await syncReport(desired, o, running);
  return {
    version: 1,
    at: o.at,
    file: desired.file,
    root: { path: o.root.path, exists: o.root.exists },
    desired: {
      version: desired.version,
      retain: desired.retain,
      prepareAhead: desired.prepareAhead,
      metricsTextfile: desired.metrics.textfile,
      network: desired.network,
    },
    running: {
      version: running,
      service: o.service.state,
      serviceProblem: o.service.problem,
      healthy: running !== null && isHealthyOn(h, running),
      health: {
        answered: h.answered,
        httpStatus: h.httpStatus,
        status: h.status,
        nodeVersion: h.nodeVersion,
        genvmVersion: h.genvmVersion,
        network: h.network,
        checks: h.checks,
        problem: h.problem,
      },
      syncedBlock: o.sync?.syncedBlock ?? null,
    },
    links: {
      current: o.links.current?.target ?? null,
      version: o.links.version,
      agree: o.links.version !== null && (o.links.current === null || o.links.current.version === o.links.version),
      entries: o.links.switchLinks.map((l) => ({ name: l.name, target: l.target, viaCurrent: l.viaCurrent, version: l.version })),
      missing: o.links.missing,
      notLinks: o.links.notLinks,
    },
    versions: o.versions.map((f) => ({
      version: f.version,
      state: f.prepared ? f.prepared.origin : f.preparing ? 'unfinished' : 'foreign',
      preparedAt: f.prepared?.at ?? null,
      bytes: f.bytes ?? null,
      roles: [
        ...(f.version === running ? ['running' as const] : []),
        ...(f.version === r.lastKnownGood ? ['last-known-good' as const] : []),
        ...(f.version === desired.version ? ['desired' as const] : []),
        ...(bad.has(f.version) ? ['bad' as const] : []),
        ...(journal.includes(f.version) ? ['journal' as const] : []),
      ],
      ...(fate.get(f.version) ?? { retention: 'untouched' as const, why: 'not-glr' }),
    })),
    lastKnownGood: r.lastKnownGood,
    bad: o.bad.map((b) => ({ version: b.version, at: b.at, reason: b.reason })),
    retention: {
      retain: desired.retain,
      remove: r.remove.map((x) => ({ version: x.version, why: x.why, bytes: x.bytes })),
      reclaimableBytes: totalBytes(r.remove),
    },
    history: [...history].reverse().map((x) => ({
      at: x.at,
      from: x.from,
      version: x.version,
      outcome: x.outcome,
      exitCode: x.exitCode,
      downtimeMs: x.downtimeMs,
      windowMs: x.windowMs,
      reason: x.reason ?? null,
    })),
    rollbacksTotal: history.at(-1)?.rollbacksTotal ?? 0,
    lock: lock ? { pid: lock.pid, command: lock.command, since: lock.since, host: lock.host } : null,
    plan: {
      state: p.refusals.length ? 'refused' : isConverged(p) ? 'converged' : 'pending',
      steps: stepsOf(p).map((s) => s.step.kind),
      refusals: p.refusals,
      warnings: p.warnings,
      notes: p.notes,
    },
    hooks: hooks && {
      at: hooks.at,
      outcome: hooks.outcome,
      running: hooks.running,
      from: hooks.from,
      runs: hooks.runs.length,
      failed: failedRuns(hooks).map((x) => ({ argv: x.argv, exitCode: x.exitCode, failure: x.failure, output: x.output ?? null })),
    },
    journal: o.journal && {
      leaving: o.journal.leaving,
      entering: o.journal.entering,
      phase: o.journal.phase,
      at: o.journal.at,
      open: isOpen(o.journal),
      reason: o.journal.reason ?? null,
    },
    sharedDb: { path: o.sharedDb.path, exists: o.sharedDb.exists },
    carry: carryOf(o),
    diskFreeBytes: o.diskFreeBytes,
    trash: o.trash,
    node: nodeOf(o),
    telemetry: o.telemetry && { container: o.telemetry.container, logPath: o.telemetry.logPath, state: o.telemetry.state, detail: o.telemetry.detail },
    sync,
    snapshots: o.deployment.snapshots.entries.map((x) => ({ name: x.name, path: x.path, version: x.version, at: x.at })),
  };
}

function nodeOf(o: Observed): StatusReport['node'] {
  const u = o.unit;
  if (!u) return null;
  return {
    source: u.source,
    user: u.user,
    group: u.group,
    password: u.password === null ? null : 'literal' in u.password ? 'on-execstart' : u.password.variable,
    program: u.program,
    environmentFiles: u.environmentFiles.map((f) => ({ path: f.path, optional: f.optional, inVersion: f.inVersion, exists: f.exists, names: f.names })),
  };
}

function carryOf(o: Observed): StatusReport['carry'] {
  const s = o.runningFiles;
  return s && { version: s.version, configYaml: s.configYaml, env: s.env, envNames: s.envNames, keystoreFiles: s.keystoreFiles };
}
