/**
 * A module bundled (its dependencies inside) into a folder anyone can read, for a test that runs
 * it as another user (`nobody`): the checkout may be a clone in a mode-700 folder (/root/glr),
 * where that user can read nothing of it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { REPO } from './glr.js';

export interface Bundle {
  /** the bundled module, mode 644 in a mode-755 folder */
  file: string;
  remove(): void;
}

/** Bundles `entry` (a path in the checkout, e.g. 'sandbox/fake-node.ts') as an ES module named `name`. */
export async function bundleForAnyone(entry: string, name: string): Promise<Bundle> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-bundle-'));
  chmodSync(dir, 0o755);
  const file = path.join(dir, name);
  try {
    await build({
      entryPoints: [path.join(REPO, entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: file,
      // CommonJS dependencies (execa's) call require(), as in the CLI's bundle (scripts/bundle.mjs)
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    chmodSync(file, 0o644);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
