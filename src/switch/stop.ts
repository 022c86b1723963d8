import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplyContext } from '../actions/context.js';
import { ExitCode, GlrError, isGlrError } from '../errors.js';

/** What a stop did: whether glr asked the manager at all, and whether the manager took the request. */
export interface Stopped {
  /** the manager said running (or restarting) and its stop was run */
  asked: boolean;
  /** the stop command returned 0: the request reached the node, which is (or was) going down */
  delivered: boolean;
}

/**
 * The node still runs at the bound. `delivered`: the stop command returned 0, so the request
 * reached the node and it may go down at any moment (else the command failed, and the request
 * may never have reached it).
 */
export class StillRunning extends GlrError {
  constructor(
    message: string,
    readonly delivered: boolean,
  ) {
    super(ExitCode.operatorMustAct, message);
  }
}

/**
 * Stops the node and waits until the manager confirms it stopped, as long as the manager's own
 * stop may take (`ServiceManager.stopBoundMs`: systemd's TimeoutStopSec, as observe read it; the command manager's
 * GLR_CONFIRM_STOP_SECONDS). The manager is asked first: a node it already reports stopped (a stop
 * that stopped it and then failed) is not stopped again. The stop command's exit code is a hint:
 * the status decides. Throws when the node still runs at the bound: the stop command's own
 * failure when it failed, else a "did not stop in time" (see StillRunning).
 */
export async function stopAndConfirm(ctx: ApplyContext): Promise<Stopped> {
  const { service, tuning, log } = ctx;
  const before = await service.state();
  const boundMs = service.stopBoundMs(tuning.confirmStopMs);
  if (before === 'stopped') return { asked: false, delivered: false };
  const deadline = Date.now() + boundMs;
  const failure = await service.stop(boundMs).then(
    () => null,
    (e: unknown) => e,
  );
  if (failure !== null) {
    log.warn({ err: isGlrError(failure) ? failure.message : String(failure) }, 'the stop command failed; asking the manager whether the node stopped');
  }
  for (;;) {
    const state = await service.state();
    if (state === 'stopped') return { asked: true, delivered: failure === null };
    if (Date.now() >= deadline) {
      if (failure !== null) throw new StillRunning(isGlrError(failure) ? failure.message : `the stop failed: ${String(failure)}`, false);
      throw new StillRunning(`${service.description} did not stop within ${Math.round(boundMs / 1000)} s of being asked (it says ${state})`, true);
    }
    await sleep(100);
  }
}
