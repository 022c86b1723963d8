/**
 * The outside prober: `node probe.js URL [EVERY_MS] [TIMEOUT_MS]` sends GET URL every EVERY_MS
 * (default 10), each on a connection of its own and without waiting for the previous answer (a
 * node that accepts and does not answer must not hold the prober), and prints one line per
 * request once it is settled:
 *
 *   SENT_MS ANSWERED_MS HTTP_STATUS(0: no answer) NODE_VERSION(-) VALIDATING_UP(1/0)
 *
 * with times in epoch milliseconds. It runs in its own process so that the bench's own work (the
 * release server among it) never delays a probe. SIGTERM ends it.
 */
import http from 'node:http';

const [url, everyArg, timeoutArg] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: probe.js URL [EVERY_MS] [TIMEOUT_MS]\n');
  process.exit(2);
}
const every = Number(everyArg ?? 10);
const timeout = Number(timeoutArg ?? 2000);
const now = () => performance.timeOrigin + performance.now();

function emit(sent: number, status: number, version: string | null, up: boolean): void {
  process.stdout.write(`${sent.toFixed(2)} ${now().toFixed(2)} ${status} ${version ?? '-'} ${up ? 1 : 0}\n`);
}

function probe(): void {
  const sent = now();
  let done = false;
  const settle = (status: number, version: string | null, up: boolean) => {
    if (done) return;
    done = true;
    emit(sent, status, version, up);
  };
  const req = http.get(url!, { agent: false, timeout }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      let version: string | null = null;
      let up = false;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { node_version?: unknown; checks?: { validating?: { status?: unknown } } };
        version = typeof body.node_version === 'string' ? body.node_version : null;
        up = body.checks?.validating?.status === 'up';
      } catch {
        // not JSON: an answer all the same
      }
      settle(res.statusCode ?? 0, version, up);
    });
    res.on('error', () => settle(0, null, false));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => settle(0, null, false));
}

setInterval(probe, every);
process.on('SIGTERM', () => process.exit(0));
