/**
 * The extracting thread of a download (its other side is unpack.ts): the tar stream, gunzip's
 * output, arrives in buffers lent by the main thread; its entries pass the tar policy and are
 * written under the staging folder with synchronous calls (extract.ts). A blocking write here
 * holds up neither the inflate (on the thread pool) nor the network and the hashes (on the main
 * thread), and a file costs only its own system calls.
 *
 * Each buffer goes back once the next one has been parsed: the tar parser may keep a view of
 * the end of a buffer (a header cut in two) until the next write. The thread ends by itself after
 * its last word ('settled'), every file it opened closed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Parser } from 'tar/parse';
import type { ReadEntry } from 'tar/read-entry';
import { TarPolicy } from '../tar-policy.js';
import { Extract } from './extract.js';
import type { FromExtract, ToExtract, ExtractData } from './unpack.js';

const port = parentPort!;
const { dir } = workerData as ExtractData;
const policy = new TarPolicy();
const out = new Extract(dir);
const parser = new Parser({ strict: true });
/** the buffer parsed last, lent back once the next one is parsed */
let behind: ArrayBuffer | null = null;
let done = false;
let refusal: string | null = null;

function post(m: FromExtract, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

/** The extraction is over, either way; the file being written (if any) is closed first. */
function settle(error: unknown): void {
  if (done) return;
  done = true;
  out.abandon();
  const e = error as { message?: unknown; code?: unknown } | null;
  post({
    kind: 'settled',
    topFolder: policy.topFolder,
    refusal,
    error: e === null ? null : { message: String(e.message ?? e), code: typeof e.code === 'string' ? e.code : undefined },
  });
  port.close();
}

const guard =
  <A extends unknown[]>(f: (...a: A) => void) =>
  (...a: A): void => {
    if (done) return;
    try {
      f(...a);
    } catch (e) {
      settle(e);
    }
  };

parser.on(
  'entry',
  guard((entry: ReadEntry) => {
    const why = policy.check(entry.path, entry);
    if (why !== null) {
      refusal = why;
      entry.resume();
      settle(Object.assign(new Error(why), { code: 'GLR_UNSAFE_TAR' }));
      return;
    }
    out.begin(entry);
    entry.on(
      'data',
      guard((c: Buffer) => out.data(c)),
    );
    entry.on(
      'end',
      guard(() => out.end()),
    );
  }),
);
parser.on('error', (e: unknown) => settle(e));
parser.on(
  'end',
  guard(() => {
    out.finish();
    settle(null);
  }),
);

port.on(
  'message',
  guard((m: ToExtract) => {
    if (m.kind === 'data') {
      parser.write(Buffer.from(m.buf, 0, m.length));
      if (behind !== null && !done) post({ kind: 'lent-back', buf: behind }, [behind]);
      behind = m.buf;
    } else if (m.kind === 'end') parser.end();
    else settle(Object.assign(new Error(m.reason), { code: 'GLR_STOPPED' }));
  }),
);
