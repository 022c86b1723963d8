import { InterruptedError } from '../errors.js';
import type { Logger } from './logger.js';

/**
 * SIGINT/SIGTERM while glr works. Outside the switch window a signal aborts the run (downloads
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
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    return this;
  }
  uninstall(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
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
