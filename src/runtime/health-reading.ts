import { clip } from './text.js';

/** One check of the node's health answer, e.g. `checks.validating`. */
interface CheckReading {
  status: string | null;
  error: string | null;
}

/**
 * One answer of the node's ops endpoint, in the shape GenLayer documents: 200/503,
 * `{"status":"up"|"down","node_version":..,"checks":{"validating":{"status":..,"error":..},...}}`.
 * v0.5 adds `genvm_version` and `network` and names other checks (`zksync-connectivity`);
 * `checks` is an open map and only `validating` decides whether the node is healthy.
 */
export interface HealthReading {
  /** an HTTP answer came back (any status) */
  answered: boolean;
  httpStatus: number | null;
  status: string | null;
  nodeVersion: string | null;
  validating: CheckReading | null;
  /** every check the node reported, by name */
  checks: Record<string, CheckReading>;
  genvmVersion: string | null;
  network: string | null;
  /**
   * the consensus protocol the node speaks (`protocol_version`, e.g. `v0.4:1dd08066`): what a
   * release's `genlayernode version` prints as `Protocol:`; absent or null when not said
   */
  protocolVersion?: string | null;
  /** why there is no usable reading: refused, timed out, not JSON... */
  problem: string | null;
}

/** Healthy on V: 200, `node_version` = V and `checks.validating.status` = "up". */
export function isHealthyOn(r: HealthReading, version: string): boolean {
  return r.httpStatus === 200 && r.nodeVersion === version && r.validating?.status === 'up';
}

/**
 * Something listens on the health URL: an HTTP answer of any kind, or a connection accepted and
 * held without an answer (a node that boots holds its connections until it has booted), or one
 * accepted and reset. Only a refused connection (or a host not found) says that nothing runs there.
 */
export function somethingAnswers(r: HealthReading): boolean {
  return r.answered || r.problem === 'timed out' || r.problem === 'connection reset';
}

/**
 * GenLayer: a node syncing (after a start, or from genesis on a new database) answers 503,
 * `status: down`, with `checks.validating` down and the error "node is not synced". On V: it
 * runs as V and is catching up, not failing.
 */
export function isSyncingOn(r: HealthReading, version: string): boolean {
  return r.httpStatus === 503 && r.nodeVersion === version && r.validating?.status === 'down' && /not synced/i.test(r.validating.error ?? '');
}

/** One line for logs and messages; node-supplied text is cut short. */
export function describeHealth(r: HealthReading): string {
  if (!r.answered) return `no answer (${r.problem ?? 'unknown'})`;
  const parts = [`HTTP ${r.httpStatus}`];
  if (r.nodeVersion) parts.push(`version ${r.nodeVersion}`);
  if (r.validating) parts.push(`validating ${r.validating.status ?? '?'}${r.validating.error ? ` (${clip(r.validating.error, 120)})` : ''}`);
  if (r.problem) parts.push(r.problem);
  return parts.join(', ');
}

export function noAnswer(problem: string): HealthReading {
  return { answered: false, httpStatus: null, status: null, nodeVersion: null, validating: null, checks: {}, genvmVersion: null, network: null, problem };
}

/** Pure: an HTTP status and body → the reading. */
export function parseHealth(statusCode: number, text: string): HealthReading {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ...noAnswer("the answer is not JSON: is health.url the node's /health?"), answered: true, httpStatus: statusCode };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ...noAnswer('the answer is not a JSON object'), answered: true, httpStatus: statusCode };
  }
  const b = body as Record<string, unknown>;
  const checks: Record<string, CheckReading> = {};
  if (typeof b.checks === 'object' && b.checks !== null) {
    for (const [name, c] of Object.entries(b.checks as Record<string, unknown>)) {
      if (typeof c === 'object' && c !== null)
        checks[name] = { status: str((c as Record<string, unknown>).status), error: str((c as Record<string, unknown>).error) };
    }
  }
  return {
    answered: true,
    httpStatus: statusCode,
    status: str(b.status),
    nodeVersion: str(b.node_version),
    validating: checks.validating ?? null,
    checks,
    genvmVersion: str(b.genvm_version),
    network: str(b.network),
    protocolVersion: str(b.protocol_version),
    problem: null,
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
