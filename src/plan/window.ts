import type { Desired } from '../desired/types.js';
import { serviceName } from './describe.js';
import type { WindowPart } from './draft.js';
import type { Rollback, SetLlmStep, VerifyStep, WindowStep } from './types.js';

/**
 * The critical window's step lists, each read top to bottom (cosmovisor's habit): what a switch
 * does, what a restart on new LLM config does, and the way back from either. Each builder returns
 * the window with its verification and its rollback; the planner decides which applies, and
 * plan/finish.ts adds what follows the outcome (hooks, the journal's close, the verdict).
 */

interface SwitchOptions {
  /** the version the node runs now (and where a rollback returns); null when none is known */
  leaving: string | null;
  /** the version the node runs after the window */
  entering: string;
  /** the node runs (or crash-loops) now and must be stopped first */
  stop: boolean;
  /** service.running: start the node and verify it; false leaves it stopped */
  start: boolean;
  /** compare the synced block with the one the backup noted (false across a series: another DB) */
  synced: boolean;
  /** a breaking switch: accept the node by its sync's progress over this many seconds (see VerifyStep) */
  progressSeconds?: number | null;
  /** snapshots.restoreOnRollback: the way back puts the DB back from this snapshot first */
  restore?: { snapshot: string; db: string; aside: string } | null;
}

/** A switch: stop, `current` → entering, start, verify; on failure, `current` back to leaving. */
export function switchWindow(d: Desired, o: SwitchOptions): WindowPart {
  const otherwise = o.leaving === null ? 'then the operator must act' : `otherwise roll back to ${o.leaving}`;
  return {
    switch: { leaving: o.leaving, entering: o.entering },
    window: [openJournal(d, 'switching'), ...(o.stop ? [stop(d)] : []), swap(d, o.entering, o.leaving), ...(o.start ? [start(d)] : [])],
    verify: o.start ? verify(d, o.entering, otherwise, o.synced, o.progressSeconds ?? null) : null,
    onFailure: o.leaving === null ? null : rollbackBySwap(d, o.leaving, o.start, o.restore ? { ...o.restore, version: o.entering } : null),
    change: o.start && o.leaving ? { leaving: o.leaving, entering: o.entering } : null,
  };
}

/**
 * The running version restarted on a new LLM config: stop, set the providers (keeping the
 * previous file), start, verify; on failure the previous file is put back and the node restarted.
 */
export function llmRestartWindow(d: Desired, o: { version: string; stop: boolean; setLlm: SetLlmStep; rollbackTo: string | null }): WindowPart {
  const back = o.rollbackTo ?? o.version;
  const restoring = back === o.version;
  return {
    switch: { leaving: back, entering: o.version },
    window: [openJournal(d, 'switching'), ...(o.stop ? [stop(d)] : []), o.setLlm, start(d)],
    verify: verify(d, o.version, restoring ? 'otherwise restore its previous LLM config and restart' : `otherwise roll back to ${back}`, true),
    onFailure: restoring ? rollbackByRestoringLlm(d, o.version) : rollbackBySwap(d, back, true),
    change: { leaving: back, entering: o.version },
  };
}

/**
 * The running version brought up again (it was down, or unhealthy after an interrupted switch):
 * stop and start as needed, verify; on failure back to the version an interrupted switch left,
 * if any. A window that neither stops nor starts opens no journal: it switches nothing.
 */
export function restartWindow(
  d: Desired,
  o: { version: string; stop: boolean; start: boolean; rollbackTo: string | null; progressSeconds?: number | null },
): WindowPart {
  return {
    switch: { leaving: o.rollbackTo, entering: o.version },
    window: [...(o.stop || o.start ? [openJournal(d, 'switching')] : []), ...(o.stop ? [stop(d)] : []), ...(o.start ? [start(d)] : [])],
    verify: verify(d, o.version, o.rollbackTo === null ? '' : `otherwise roll back to ${o.rollbackTo}`, false, o.progressSeconds ?? null),
    onFailure: o.rollbackTo === null ? null : rollbackBySwap(d, o.rollbackTo, true),
    change: o.rollbackTo ? { leaving: o.rollbackTo, entering: o.version } : null,
  };
}

/** service.running false: the node is stopped and left so; nothing is verified. */
export function maintenanceWindow(d: Desired, o: { version: string; setLlm: SetLlmStep | null }): WindowPart {
  return {
    switch: { leaving: o.version, entering: o.version },
    window: [openJournal(d, 'switching'), stop(d), ...(o.setLlm ? [o.setLlm] : [])],
    verify: null,
    onFailure: null,
    change: null,
  };
}

/** An interrupted rollback, finished: stop, `current` back to `to`, start, verify. No way back from here. */
export function finishRollbackWindow(d: Desired, o: { to: string; failed: string; stop: boolean; swap: boolean; start: boolean }): WindowPart {
  return {
    switch: { leaving: o.to, entering: o.failed },
    window: [openJournal(d, 'rolling-back'), ...(o.stop ? [stop(d)] : []), ...(o.swap ? [swap(d, o.to, null)] : []), ...(o.start ? [start(d)] : [])],
    verify: o.start ? verify(d, o.to, 'then the operator must act') : null,
    onFailure: null,
    change: o.start ? { leaving: o.to, entering: o.failed } : null,
  };
}

/**
 * The way back after a switch: stop the new node, (the DB back from its snapshot,) `current`
 * back, start the old one, verify it.
 */
function rollbackBySwap(
  d: Desired,
  to: string,
  start_: boolean,
  restore: { snapshot: string; db: string; aside: string; version: string } | null = null,
): Rollback {
  return {
    to,
    window: [openJournal(d, 'rolling-back'), stop(d), ...(restore ? [restoreDb(restore)] : []), swap(d, to, null), ...(start_ ? [start(d)] : [])],
    verify: start_ ? verify(d, to, 'then the operator must act') : null,
  };
}

/** The way back after a providers change: stop, the previous LLM config back, start, verify. */
function rollbackByRestoringLlm(d: Desired, version: string): Rollback {
  return {
    to: version,
    window: [
      openJournal(d, 'rolling-back'),
      stop(d),
      { kind: 'restore-llm', version, description: `put back ${version}'s previous GenVM LLM config` },
      start(d),
    ],
    verify: verify(d, version, 'then the operator must act'),
  };
}

function openJournal(d: Desired, phase: 'switching' | 'rolling-back'): WindowStep {
  return { kind: 'open-journal', phase, description: `record in ${d.layout.journal}: ${phase} (each step of the window is recorded there)` };
}

function stop(d: Desired): WindowStep {
  return { kind: 'stop', description: `stop ${serviceName(d)} and confirm it stopped` };
}

function swap(d: Desired, to: string, from: string | null): WindowStep {
  return { kind: 'swap', to, description: `switch ${d.layout.current}${from ? ` from ${from}` : ''} to ${to} (one rename; every link follows at once)` };
}

function restoreDb(r: { snapshot: string; db: string; aside: string; version: string }): WindowStep {
  return {
    kind: 'restore-db',
    ...r,
    description: `put the DB back as the snapshot had it: ${r.db} (what ${r.version} wrote) renamed aside to ${r.aside} (kept; glr never deletes it), then ${r.snapshot} renamed into its place`,
  };
}

function start(d: Desired): WindowStep {
  return { kind: 'start', description: `start ${serviceName(d)}` };
}

function verify(d: Desired, version: string, otherwise: string, synced = false, progressSeconds: number | null = null): VerifyStep {
  const t = d.health.timeoutSeconds;
  if (progressSeconds !== null) {
    const p = Math.min(progressSeconds, t);
    return {
      kind: 'verify',
      version,
      timeoutSeconds: t,
      syncedBlock: null,
      progressSeconds: p,
      description: `wait until the node runs on ${version} (/health answers as ${version}, 200 or 503 while it syncs) and its sync makes progress (/metrics: synced block rising or blocks behind falling) over ${p} s, within ${t} s${otherwise ? `; ${otherwise}` : ''}`,
    };
  }
  return {
    kind: 'verify',
    version,
    timeoutSeconds: t,
    syncedBlock: synced ? 'at-least-noted' : null,
    progressSeconds: null,
    description: `wait until the node is healthy on ${version} (up to ${t} s)${synced ? ', its synced block (/metrics) at or past the one noted before the stop' : ''}${otherwise ? `; ${otherwise}` : ''}`,
  };
}
