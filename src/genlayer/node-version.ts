/**
 * What a release's own binary says it is: `bin/genlayernode version`. GenLayer's docs show the
 * command, not its output; an operator's upgrade record (v0.4.2) shows it as
 *
 *     GenLayer Node
 *     Version:  v0.4.2
 *     Protocol: v0.4:1dd08066
 *     Commit:   9780557
 *     Date:     2025-12-23
 *
 * and /health names the same protocol as `protocol_version`.
 */
export interface ReleaseIdentity {
  /** `vX.Y.Z[-pre]` as the binary says it, a `v` added when it prints none; null when it does not say */
  version: string | null;
  /** the consensus protocol (`v0.4:1dd08066`); null when it does not say */
  protocol: string | null;
}

const VERSION = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** Pure: the output of `genlayernode version` → what it names. An output of only a version counts too. */
export function parseNodeVersion(output: string): ReleaseIdentity {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(\\S+)\\s*$`, 'mi').exec(output)?.[1] ?? null;
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const named = field('Version') ?? (lines.length === 1 ? lines[0]! : null);
  const version = named !== null && VERSION.test(named) ? (named.startsWith('v') ? named : `v${named}`) : null;
  return { version, protocol: field('Protocol') };
}
