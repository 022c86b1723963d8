/** The loader hook of trace/preload.ts: appends each resolved file: URL to BENCH_IMPORT_TRACE. */
import { appendFileSync } from 'node:fs';
import type { ResolveHook } from 'node:module';

export const resolve: ResolveHook = async (specifier, context, next) => {
  const r = await next(specifier, context);
  const out = process.env.BENCH_IMPORT_TRACE;
  if (out && r.url.startsWith('file:')) appendFileSync(out, `esm ${r.url}\n`);
  return r;
};
