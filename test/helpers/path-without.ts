import { existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A PATH like this process's, on which `command` is not found: every folder that holds it is
 * replaced by a folder of links to everything else it holds (so `cat`, `python3`... stay). The
 * folders are under `parent` (a test's own temp folder, removed with it).
 */
export function pathWithout(command: string, parent: string = os.tmpdir()): string {
  return (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => {
      if (!existsSync(path.join(dir, command))) return dir;
      const shadow = mkdtempSync(path.join(parent, `path-without-${command}-`));
      for (const name of readdirSync(dir)) if (name !== command) symlinkSync(path.join(dir, name), path.join(shadow, name));
      return shadow;
    })
    .join(':');
}
