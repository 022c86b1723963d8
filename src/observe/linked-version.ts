import type { Observed } from './types.js';

/**
 * The version the links name: `current`'s where glr manages the host (null when it names no
 * version folder), else the one version every runbook link resolves into (null when they disagree
 * or there are none). This is what would
 * start, not proof that anything runs: the service state and the health answer say that.
 */
export function linkedVersion(o: Pick<Observed, 'links'>): string | null {
  return o.links.current ? o.links.current.version : o.links.version;
}
