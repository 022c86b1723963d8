import { serviceName } from './describe.js';
import type { PlanBuilder } from './builder.js';
import type { FinishStep, Rollback, SetLlmStep, VerifyStep, WindowStep } from './types.js';

/**
 * The critical window's step lists, each read top to bottom (cosmovisor's habit): what a switch
 * does, what a restart on new LLM config does, and the way back from either. The builder decides
 * which applies; these say in what order.
 */

interface WindowOptions {
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
}

/** A switch: stop, `current` → entering, start, verify; on failure, `current` back to leaving. */
export function switchWindow(p: PlanBuilder, o: WindowOptions): void {
  p.switch = { leaving: o.leaving, entering: o.entering };
  p.window.push(openJournal(p, 'switching'));
  if (o.stop) p.window.push(stop(p));
  p.window.push(swap(p, o.entering, o.leaving));
  if (o.start) p.window.push(start(p));
  p.verify = o.start ? verify(p, o.entering, o.leaving === null ? 'then the operator must act' : `otherwise roll back to ${o.leaving}`, o.synced) : null;
  p.onFailure = o.leaving === null ? null : rollbackBySwap(p, o.leaving, o.start);
  finish(p, o.start ? { leaving: o.leaving, entering: o.entering } : null);
}

/**
 * The running version restarted on a new LLM config: stop, set the providers (keeping the
 * previous file), start, verify; on failure the previous file is put back and the node restarted.
 */
export function llmRestartWindow(p: PlanBuilder, o: { version: string; stop: boolean; setLlm: SetLlmStep; rollbackTo: string | null }): void {
  p.switch = { leaving: o.rollbackTo ?? o.version, entering: o.version };
  p.window.push(openJournal(p, 'switching'));
  if (o.stop) p.window.push(stop(p));
  p.window.push(o.setLlm);
  p.window.push(start(p));
  const back = o.rollbackTo ?? o.version;
  p.verify = verify(p, o.version, back === o.version ? 'otherwise restore its previous LLM config and restart' : `otherwise roll back to ${back}`, true);
  p.onFailure = back === o.version ? rollbackByRestoringLlm(p, o.version) : rollbackBySwap(p, back, true);
  finish(p, { leaving: back, entering: o.version });
}

/**
 * The running version brought up again (it was down, or unhealthy after an interrupted switch):
 * start if needed, verify; on failure back to the version an interrupted switch left, if any.
 */
export function restartWindow(p: PlanBuilder, o: { version: string; stop: boolean; start: boolean; rollbackTo: string | null }): void {
  p.switch = { leaving: o.rollbackTo, entering: o.version };
  if (o.stop || o.start) p.window.push(openJournal(p, 'switching'));
  if (o.stop) p.window.push(stop(p));
  if (o.start) p.window.push(start(p));
  p.verify = verify(p, o.version, o.rollbackTo === null ? '' : `otherwise roll back to ${o.rollbackTo}`);
  p.onFailure = o.rollbackTo === null ? null : rollbackBySwap(p, o.rollbackTo, true);
  finish(p, { leaving: o.rollbackTo, entering: o.version });
}

/** service.running false: the node is stopped and left so; nothing is verified. */
export function maintenanceWindow(p: PlanBuilder, o: { version: string; setLlm: SetLlmStep | null }): void {
  p.switch = { leaving: o.version, entering: o.version };
  p.window.push(openJournal(p, 'switching'));
  p.window.push(stop(p));
  if (o.setLlm) p.window.push(o.setLlm);
  p.finish.push(closeJournal(p));
}

/** An interrupted rollback, finished: stop, `current` back to `to`, start, verify. No way back from here. */
export function finishRollbackWindow(p: PlanBuilder, o: { to: string; failed: string; stop: boolean; swap: boolean; start: boolean }): void {
  p.intent = 'finish-rollback';
  p.target = o.to;
  p.switch = { leaving: o.to, entering: o.failed };
  p.window.push(openJournal(p, 'rolling-back'));
  if (o.stop) p.window.push(stop(p));
  if (o.swap) p.window.push(swap(p, o.to, null));
  if (o.start) p.window.push(start(p));
  p.verify = o.start ? verify(p, o.to, 'then the operator must act') : null;
  p.onFailure = null;
  finish(p, o.start ? { leaving: o.to, entering: o.failed } : null);
}

/**
 * The finish: hooks.postSwitch when the running version changes (`change`: the switch as the
 * journal words it; no version left, or the same one: no change), then the journal closed. The hooks run
 * before the close: a crash between them leaves the journal open, and the next run runs them again
 * (at least once, never lost).
 */
function finish(p: PlanBuilder, change: { leaving: string | null; entering: string } | null): void {
  const hooks = p.d.hooks.postSwitch;
  if (change?.leaving && change.leaving !== change.entering && hooks.length) p.finish.push(postSwitch(p, change.leaving, change.entering));
  p.finish.push(closeJournal(p));
}

export function postSwitch(p: PlanBuilder, leaving: string, entering: string): FinishStep {
  const hooks = p.d.hooks.postSwitch;
  return {
    kind: 'post-switch',
    hooks,
    leaving,
    entering,
    description: `run hooks.postSwitch (${hooks.map((h) => h.join(' ')).join('; ')}) once the node is up: ${
      p.intent === 'finish-rollback'
        ? `back on ${leaving} (GLR_OUTCOME=rolled-back)`
        : `on ${entering} (GLR_OUTCOME=switched), or back on ${leaving} after a rollback (rolled-back)`
    }; a failure is reported, never rolled back`,
  };
}

/** The way back after a switch: stop the new node, `current` back, start the old one, verify it. */
function rollbackBySwap(p: PlanBuilder, to: string, start_: boolean): Rollback {
  return {
    to,
    window: [openJournal(p, 'rolling-back'), stop(p), swap(p, to, null), ...(start_ ? [start(p)] : [])],
    verify: start_ ? verify(p, to, 'then the operator must act') : null,
  };
}

/** The way back after a providers change: stop, the previous LLM config back, start, verify. */
function rollbackByRestoringLlm(p: PlanBuilder, version: string): Rollback {
  return {
    to: version,
    window: [
      openJournal(p, 'rolling-back'),
      stop(p),
      { kind: 'restore-llm', version, description: `put back ${version}'s previous GenVM LLM config` },
      start(p),
    ],
    verify: verify(p, version, 'then the operator must act'),
  };
}

function openJournal(p: PlanBuilder, phase: 'switching' | 'rolling-back'): WindowStep {
  return { kind: 'open-journal', phase, description: `record in ${p.layout.journal}: ${phase} (each step of the window is recorded there)` };
}

function stop(p: PlanBuilder): WindowStep {
  return { kind: 'stop', description: `stop ${serviceName(p.d)} and confirm it stopped` };
}

function swap(p: PlanBuilder, to: string, from: string | null): WindowStep {
  return { kind: 'swap', to, description: `switch ${p.layout.current}${from ? ` from ${from}` : ''} to ${to} (one rename; every link follows at once)` };
}

function start(p: PlanBuilder): WindowStep {
  return { kind: 'start', description: `start ${serviceName(p.d)}` };
}

function verify(p: PlanBuilder, version: string, otherwise: string, synced = false): VerifyStep {
  const t = p.d.health.timeoutSeconds;
  return {
    kind: 'verify',
    version,
    timeoutSeconds: t,
    syncedBlock: synced ? 'at-least-noted' : null,
    description: `wait until the node is healthy on ${version} (up to ${t} s)${synced ? ', its synced block (/metrics) at or past the one noted before the stop' : ''}${otherwise ? `; ${otherwise}` : ''}`,
  };
}

function closeJournal(p: PlanBuilder): { kind: 'close-journal'; description: string } {
  return { kind: 'close-journal', description: `close the journal (${p.layout.journal}) with the outcome` };
}
