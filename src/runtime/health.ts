import { request } from 'undici';

/**
 * One answer of the node's ops endpoint, in the shape GenLayer documents:
 * 200/503, `{"status":"up"|"down","node_version":..,"checks":{"validating":{"status":..,"error":..}}}`.
 */
export interface HealthReading {
  /** an HTTP answer came back (any status) */
  answered: boolean;
  httpStatus: number | null;
  status: string | null;
  nodeVersion: string | null;
  validating: { status: string | null; error: string | null } | null;
  /** why there is no usable reading: refused, timed out, not JSON... */
  problem: string | null;
}

/** Healthy on V: 200, `node_version` = V and `checks.validating.status` = "up". */
export function isHealthyOn(r: HealthReading, version: string): boolean {
  return r.httpStatus === 200 && r.nodeVersion === version && r.validating?.status === 'up';
}

/** One line for logs and messages; node-supplied text is cut short. */
export function describeHealth(r: HealthReading): string {
  if (!r.answered) return `no answer (${r.problem ?? 'unknown'})`;
  const parts = [`HTTP ${r.httpStatus}`];
  if (r.nodeVersion) parts.push(`version ${r.nodeVersion}`);
  if (r.validating) parts.push(`validating ${r.validating.status ?? '?'}${r.validating.error ? ` (${clip(r.validating.error)})` : ''}`);
  if (r.problem) parts.push(r.problem);
  return parts.join(', ');
}

export async function readHealth(url: string, timeoutMs = 2000): Promise<HealthReading> {
  const none = (problem: string): HealthReading => ({
    answered: false,
    httpStatus: null,
    status: null,
    nodeVersion: null,
    validating: null,
    problem,
  });
  let statusCode: number;
  let text: string;
  try {
    const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
    statusCode = res.statusCode;
    text = await readCapped(res.body, 64 * 1024);
  } catch (e) {
    return none(networkProblem(e));
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ...none("the answer is not JSON: is health.url the node's /health?"), answered: true, httpStatus: statusCode };
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const checks = (typeof b.checks === 'object' && b.checks !== null ? b.checks : {}) as Record<string, unknown>;
  const v = checks.validating as Record<string, unknown> | undefined;
  return {
    answered: true,
    httpStatus: statusCode,
    status: str(b.status),
    nodeVersion: str(b.node_version),
    validating: v && typeof v === 'object' ? { status: str(v.status), error: str(v.error) } : null,
    problem: typeof body === 'object' && body !== null ? null : 'the answer is not a JSON object',
  };
}

/** `genlayer_node_synced_block` from /metrics beside the health URL, or null. */
export async function readSyncedBlock(healthUrl: string, timeoutMs = 2000): Promise<number | null> {
  try {
    const res = await request(new URL('/metrics', healthUrl), { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
    const text = await readCapped(res.body, 4 * 1024 * 1024);
    if (res.statusCode !== 200) return null;
    const m = /^genlayer_node_synced_block(?:\{[^}]*\})?\s+([0-9.eE+]+)\s*$/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > cap) {
      body.destroy();
      throw new Error(`the answer is larger than ${cap} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function networkProblem(e: unknown): string {
  const err = e as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || err.name === 'TimeoutError' || code === 'ABORT_ERR' || err.name === 'AbortError')
    return 'timed out';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  return err.message ? clip(err.message) : 'request failed';
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function clip(s: string, n = 120): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 3)}...` : one;
}
