import { InterruptedError } from '../errors.js';
import type { Logger } from './logger.js';

/** The signals that ask glr to stop: SIGHUP is what a dropped SSH session sends. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * SIGINT/SIGTERM/SIGHUP while glr works (SIGHUP is handled as SIGTERM: a `glr reconcile` typed
 * over SSH gets it when the connection drops, and must not leave the node down). Outside the switch window a signal aborts the run (downloads
 * and setup are cancelled through `signal`, half-prepared folders are removed, exit 1). Inside
 * the window it is held: the worst moment to stop is with the node down, so glr finishes
 * bringing a node up (the new one, or the old one back) and only then stops.
 */
export class SignalGuard {
  private readonly controller = new AbortController();
  private holding = 0;
  private received: NodeJS.Signals | null = null;
  private readonly handler = (sig: NodeJS.Signals) => this.onSignal(sig);

  constructor(private readonly log: Logger) {}

  install(): this {
    for (const sig of STOP_SIGNALS) process.on(sig, this.handler);
    return this;
  }
  uninstall(): void {
    for (const sig of STOP_SIGNALS) process.off(sig, this.handler);
  }

  /** aborted when a signal arrives outside the window */
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  /** the signal that arrived, if any (held or not) */
  get pending(): NodeJS.Signals | null {
    return this.received;
  }

  throwIfInterrupted(): void {
    if (this.received && this.holding === 0) throw new InterruptedError(this.received);
  }

  /** From now on signals are held; one that comes takes effect at the matching `release()`. */
  hold(): void {
    this.holding++;
  }

  release(): void {
    this.holding = Math.max(0, this.holding - 1);
    if (this.holding === 0 && this.received && !this.controller.signal.aborted) {
      this.controller.abort(new InterruptedError(this.received));
    }
  }

  /** A stop asked from outside (the watcher's own shutdown), as if a signal came. */
  request(sig: NodeJS.Signals): void {
    this.onSignal(sig);
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (this.received === null) this.received = sig;
    if (this.holding > 0) {
      this.log.warn({ signal: sig }, 'signal received in the switch window: held until the node is up again');
      return;
    }
    if (!this.controller.signal.aborted) {
      this.log.warn({ signal: sig }, 'signal received: stopping cleanly');
      this.controller.abort(new InterruptedError(sig));
    }
  }
}
