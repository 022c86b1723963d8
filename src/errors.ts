/**
 * Errors are values with an exit code. The CLI prints `message` as one line and exits with
 * `code`; `detail` goes to the log only. Messages never carry a secret: nothing read from `.env`
 * or the keystore is ever put into one.
 */
export const ExitCode = {
  ok: 0,
  /** refused or failed before the switch; the node, its links and its files are as they were */
  refused: 1,
  /** dry-run only: the host differs from the file */
  pending: 2,
  /** the switch failed and the previous version was restored and is healthy */
  rolledBack: 3,
  /** the switch failed and the previous version could not be restored: the operator must act */
  operatorMustAct: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class GlrError extends Error {
  override readonly name = 'GlrError';
  constructor(
    readonly code: ExitCode,
    message: string,
    /** for the log, never for stdout */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A refusal or failure before the switch (exit 1). */
export function refuse(message: string, detail?: Record<string, unknown>): GlrError {
  return new GlrError(ExitCode.refused, message, detail);
}

/** Thrown when a run is interrupted by SIGINT/SIGTERM/SIGHUP outside the switch window. */
export class InterruptedError extends GlrError {
  constructor(readonly signal: string) {
    super(ExitCode.refused, `interrupted by ${signal}; nothing was switched`);
  }
}

export function isGlrError(e: unknown): e is GlrError {
  return e instanceof GlrError;
}

/** One line for any error; unknown ones are bugs and say so. */
export function errorLine(e: unknown): string {
  if (isGlrError(e)) return e.message;
  const m = e instanceof Error ? e.message : String(e);
  return `internal error (this is a bug in glr; the log on stderr has the details): ${m}`;
}
