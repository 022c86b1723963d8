import type { Desired } from '../desired/types.js';
import type { Observed } from '../observe/types.js';
import { describeHealth } from '../runtime/health-reading.js';
import { isOpen } from '../runtime/journal-entry.js';
import { list } from './describe.js';
import { isRefusal, refusal, type Decision, type Draft } from './draft.js';
import { linkedVersion } from '../observe/linked-version.js';
import { retentionAfter } from './retention.js';
import type { FinishStep, Plan } from './types.js';

/**
 * The one place a plan is assembled from what the planner decided, and where the steps that
 * follow the outcome are added, in this order:
 *   check-telemetry  after a change of the running version, once the node is up: Alloy reads its log
 *   post-switch   hooks.postSwitch, after a change of the running version, once the node is up
 *   close-journal only when the plan opens the journal, or found it open (an interrupted switch);
 *                 a plan that switches nothing never writes a journal record
 *   mark-release  the verdict on the release a switch entered (rolled back: bad; healthy: cleared)
 *   prune         retention, on outcome `applied` only, after the node was verified
 * The hooks run before the close: a crash between them leaves the journal open, and the next run
 * runs them again (at least once, never lost). A plan that acts writes under {root}/.glr
 * (journal, staging, backups, history): when observe found that folder unusable, it is refused
 * with why; a plan that does nothing is not.
 */
export function assemble(decided: Decision, d: Desired, o: Observed): Plan {
  const basis = {
    observedAt: o.at,
    links: linkedVersion(o),
    service: o.service.state,
    health: describeHealth(o.health),
  };
  if (isRefusal(decided)) {
    const { intent, refusals, warnings, notes } = decided;
    return { intent, target: d.version, switch: null, refusals, warnings, notes, prepare: [], window: [], verify: null, onFailure: null, finish: [], basis };
  }
  const w = decided.window;
  const opens = w?.window.some((s) => s.kind === 'open-journal') ?? false;
  const found = isOpen(o.journal) ? o.journal : null;
  // a journal found open is closed with its own words when this plan does not open another
  const sw: Plan['switch'] = opens ? w!.switch : found ? { leaving: found.leaving, entering: found.entering } : (w?.switch ?? null);
  const finish: FinishStep[] = [];
  const change = w?.change;
  if (change && change.leaving !== change.entering && d.telemetry.alloy.container) finish.push(checkTelemetry(d, change));
  if (change && change.leaving !== change.entering && d.hooks.postSwitch.length) finish.push(postSwitch(d, decided, change));
  if (opens || found) {
    finish.push({
      kind: 'close-journal',
      description:
        opens || w
          ? `close the journal (${d.layout.journal}) with the outcome`
          : `close the journal of the interrupted switch (${found!.phase}): ${d.version} ${d.service.running ? 'runs healthy' : 'is left stopped (service.running is false)'}`,
    });
  }
  const plan: Plan = {
    intent: decided.intent,
    target: decided.target,
    switch: sw,
    refusals: [],
    warnings: decided.warnings,
    notes: decided.notes,
    prepare: decided.prepare,
    window: w?.window ?? [],
    verify: w?.verify ?? null,
    onFailure: w?.onFailure ?? null,
    finish,
    basis,
  };
  const acts = plan.prepare.length + plan.window.length + (plan.verify ? 1 : 0) + finish.length > 0;
  if (acts && o.glrProblems.length) return assemble(refusal(o.glrProblems, { intent: decided.intent, warnings: decided.warnings, notes: decided.notes }), d, o);
  return acts ? { ...plan, finish: [...finish, ...verdictAndRetention(plan, d, o)] } : plan;
}

function checkTelemetry(d: Desired, change: { leaving: string; entering: string }): FinishStep {
  const { container, logPath } = d.telemetry.alloy;
  return {
    kind: 'check-telemetry',
    container: container!,
    logPath,
    leaving: change.leaving,
    entering: change.entering,
    description: `once the node is up on its version, check ${container} reads its node.log (${logPath} in the container is ${d.layout.nodeLog(d.root)}: same device and inode); stale: restart it (recreate it from its compose file when the release's docker-compose.yaml or .env changed) and check again; still stale is reported, never rolled back`,
  };
}

function postSwitch(d: Desired, decided: Draft, change: { leaving: string; entering: string }): FinishStep {
  const hooks = d.hooks.postSwitch;
  const { leaving, entering } = change;
  return {
    kind: 'post-switch',
    hooks,
    leaving,
    entering,
    description: `run hooks.postSwitch (${hooks.map((h) => h.join(' ')).join('; ')}) once the node is up: ${
      decided.intent === 'finish-rollback'
        ? `back on ${leaving} (GLR_OUTCOME=rolled-back)`
        : `on ${entering} (GLR_OUTCOME=switched), or back on ${leaving} after a rollback (rolled-back)`
    }; a failure is reported, never rolled back`,
  };
}

/**
 * The verdict on the release a switch entered (`mark-release`), then retention (`prune`), which
 * names what it will remove, computed from the host as the plan leaves it when it succeeds.
 */
function verdictAndRetention(p: Plan, d: Desired, o: Observed): FinishStep[] {
  const out: FinishStep[] = [];
  const sw = p.switch;
  if (sw?.leaving && sw.leaving !== sw.entering) {
    out.push({
      kind: 'mark-release',
      version: sw.entering,
      description: `if ${sw.entering} is rolled back, mark it bad (${d.layout.badReleases}: status shows it, retention removes it first); healthy clears an earlier mark`,
    });
  }
  if (p.intent === 'finish-rollback') return out;
  const prepared = p.prepare.some((s) => s.kind === 'mark-prepared' && s.version === p.target) ? p.target : null;
  const r = retentionAfter(d, o, {
    running: p.intent === 'prepare-ahead' ? (linkedVersion(o) ?? p.target) : p.target,
    leaving: sw?.leaving ?? null,
    prepared,
    aheadOnly: p.intent === 'prepare-ahead',
  });
  if (r.remove.length) {
    const names = r.remove.map((x) => `${x.version} (${x.why === 'bad' ? 'rolled back' : `beyond retain ${d.retain}`})`);
    out.push({
      kind: 'prune',
      remove: r.remove.map((x) => ({ version: x.version, why: x.why })),
      retain: d.retain,
      description: `if it succeeded: remove ${list(names)}; each renamed aside under ${d.layout.trashDir}, then deleted`,
    });
  }
  return out;
}
