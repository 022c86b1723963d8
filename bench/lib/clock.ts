/**
 * One clock for the bench, its probe and glr's logs: milliseconds since the epoch, with
 * sub-millisecond resolution (performance.timeOrigin is the wall clock when the process started,
 * so two processes agree to well under a millisecond; glr logs ISO times to the millisecond).
 */
export const now = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Progress on stderr (stdout gets the report). */
export function say(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
