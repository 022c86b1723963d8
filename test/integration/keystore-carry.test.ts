import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGlr } from '../helpers/glr.js';
import { sandboxEachTest } from '../helpers/sandbox.js';

const { sandbox } = sandboxEachTest();

describe('the keystore as an operator keeps it: carried whole into the new version', () => {
  it('a sub-folder with a key and an empty folder inside it: carried, folders 700 and files 600', async () => {
    const sb = await sandbox();
    await sb.publish({ version: 'v0.4.5' });
    const old = path.join(sb.host.root, 'v0.4.3/data/node/keystore');
    mkdirSync(path.join(old, 'old-keys/empty'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(old, 'old-keys/UTC--2025-01-01T00-00-00.000000000Z--0000000000000000000000000000000000000001'), '{"old":true}\n', { mode: 0o600 });

    const r = await runGlr(['reconcile', '-f', sb.host.writeDesired({ version: 'v0.4.5' })]);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    const ks = path.join(sb.host.root, 'v0.4.5/data/node/keystore');
    const mode = (p: string) => statSync(path.join(ks, p)).mode & 0o777;
    expect(readdirSync(ks).sort()).toEqual([...readdirSync(old)].sort());
    expect(mode('old-keys')).toBe(0o700);
    expect(mode('old-keys/empty')).toBe(0o700);
    expect(readdirSync(path.join(ks, 'old-keys/empty'))).toEqual([]);
    const key = 'old-keys/UTC--2025-01-01T00-00-00.000000000Z--0000000000000000000000000000000000000001';
    expect(mode(key)).toBe(0o600);
    expect(readFileSync(path.join(ks, key), 'utf8')).toBe('{"old":true}\n');
  });
});
