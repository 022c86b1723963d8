/**
 * `node --import dist/bench/trace/preload.js ...`: records every module file the process loads
 * into the file named by BENCH_IMPORT_TRACE: ES modules as they are resolved (a loader hook),
 * CommonJS ones from the require cache at exit. The bench uses it to name what a no-op loads.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.BENCH_IMPORT_TRACE;
if (out) {
  register('./hooks.js', import.meta.url);
  process.on('exit', () => {
    const cjs = Object.keys(createRequire(import.meta.url).cache);
    appendFileSync(out, cjs.map((f) => `cjs ${f}\n`).join(''));
  });
}
