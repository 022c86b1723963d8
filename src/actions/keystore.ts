import { chmod, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile } from '../runtime/fsx.js';

/**
 * Copies the validator's keystore folder: folders 700, files 600 from the first instant, each file
 * whole before it gets its name. `makeDir` creates each folder (the carry into a new version
 * checks first that it stays inside the version). Returns how many entries the top folder holds.
 */
export async function copyKeystore(src: string, dst: string, makeDir: (dir: string) => Promise<unknown>): Promise<number> {
  const entries = await readdir(src, { withFileTypes: true });
  await makeDir(dst);
  await chmod(dst, 0o700);
  for (const e of entries) {
    if (e.isDirectory()) await copyKeystore(path.join(src, e.name), path.join(dst, e.name), makeDir);
    else if (e.isFile()) await atomicWriteFile(path.join(dst, e.name), await readFile(path.join(src, e.name)), 0o600);
  }
  return entries.length;
}
