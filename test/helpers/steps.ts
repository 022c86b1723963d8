/**
 * Plans several tests expect, as step kinds in the order glr prints and runs them: the planner's
 * unit tests and the integration tests of the same switch share one list. No I/O here (unit
 * tests import it).
 */

/** Everything to prepare a release not yet on the host (no hooks, no doctor), in order. */
export const PREPARE_STEPS = ['download', 'check-version', 'genvm-setup', 'carry', 'link-db', 'set-llm', 'check-ready', 'mark-prepared'];

/** The same for a v0.5 release (v0.5.7+): its release LLM file, with the running strategy, before the providers are set. */
export const V05_PREPARE_STEPS = ['download', 'check-version', 'genvm-setup', 'carry', 'link-db', 'llm-release', 'set-llm', 'check-ready', 'mark-prepared'];

/** The file read again (the last step before the stop), the window, verification and finish of a switch that starts the node (no hooks), in order. */
export const SWITCH_STEPS = ['confirm-desired', 'open-journal', 'stop', 'swap', 'start', 'verify', 'close-journal', 'mark-release'];

/** v0.4.3 → v0.4.5 on a runbook host, everything to prepare (no hooks, no doctor), in order. */
export const RUNBOOK_UPGRADE_STEPS = [...PREPARE_STEPS, 'backup', 'adopt', 'route-links', 'link-release', ...SWITCH_STEPS];
