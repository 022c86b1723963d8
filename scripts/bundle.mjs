// Bundles the CLI (dist/bin/glr.js) from the TypeScript sources with esbuild, split at every
// dynamic import: each command, and the download path, load only when a run needs them. One file
// per chunk instead of hundreds of node_modules files is most of what makes a converged
// `glr reconcile` cheap (see docs/benchmarks.md). tsc still type-checks and builds dist/src,
// dist/sandbox and dist/bench for the tests.
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

// a clean folder: chunks of earlier builds are never left to be loaded by mistake
rmSync('dist/bin', { recursive: true, force: true });

const result = await build({
  entryPoints: { glr: 'src/cli/main.ts' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies (pino, tar's deps) call require(); give the ESM bundle one
  banner: { js: "import { createRequire as __glrCreateRequire } from 'node:module'; const require = __glrCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
  // a native addon (src/actions/download/crc32c.ts): loaded from node_modules, or not at all
  external: ['@node-rs/crc32'],
});
// what each chunk holds, by source file (the bench attributes a no-op's load to packages with it)
writeFileSync('dist/bin/meta.json', JSON.stringify(result.metafile));
