import { syncingWords, type SyncState } from '../plan/outcome.js';
import type { Plan } from '../plan/types.js';

/** The one line a successful apply ends with; `syncing`: accepted while it syncs (a breaking switch). */
export function appliedMessage(
  plan: Plan,
  m: { windowMs: number | null; downtimeMs: number | null },
  syncing: SyncState | null = null,
  measured = true,
): string {
  const t = plan.target;
  if (plan.intent === 'finish-rollback') {
    return plan.verify ? `the interrupted rollback is finished: ${t} is healthy again` : `back on ${t} (node not started: service.running is false)`;
  }
  if (plan.intent === 'prepare-ahead') return `${t} is prepared ahead (not switched to: a bump to ${t} needs only the switch)`;
  if (plan.verify && (syncing || !measured)) {
    const how = m.windowMs === null ? '' : `; switch window ${m.windowMs} ms`;
    return measured
      ? `${t} runs and is ${syncingWords(syncing)} (its sync makes progress${how})`
      : `${t} runs (its sync progress was not measured: /metrics gave no sync figures${how})`;
  }
  if (plan.verify) {
    const how = m.windowMs === null ? 'nothing restarted' : `switch window ${m.windowMs} ms; validator down ${m.downtimeMs ?? '?'} ms`;
    return `${t} is healthy (${how})`;
  }
  if (plan.window.some((s) => s.kind === 'swap')) return `${t} is in place (node left stopped: service.running is false)`;
  if (plan.window.some((s) => s.kind === 'stop')) return `the node is stopped on ${t} (service.running is false)`;
  return `${t} is in place`;
}
