/**
 * A release that is not the version it claims: the tarball at v0.4.5's URL holds v0.4.6 (a
 * literal version written into `release.url`, a bad mirror). Its own `bin/genlayernode version`
 * says what it is; glr asks it before anything is stopped and refuses (exit 1), so that the
 * other binary never runs on the shared DB and no good release is marked bad. A binary that
 * cannot say is a warning, not a refusal.
 */
import { describe, expect, it } from 'vitest';
import { buildRelease } from '../../sandbox/releases.js';
import { sandboxEachTest } from '../helpers/sandbox.js';
import { expectRefusal } from '../helpers/hostile.js';
import { runGlr } from '../helpers/glr.js';

const each = sandboxEachTest();

describe("the release's own word on its version", () => {
  it('the tarball at v0.4.5 holds v0.4.6: refused before the stop (exit 1), nothing of it kept, nothing marked bad', async () => {
    const s = await each.sandbox();
    s.server.add('v0.4.5', await buildRelease({ version: 'v0.4.6' }));
    const file = s.host.writeDesired({ version: 'v0.4.5', timeoutSeconds: 3 });
    await expectRefusal(s.host, file, {
      line: /^glr: the release prepared as v0\.4\.5 says it is v0\.4\.6 \(\S+\/v0\.4\.5\/bin\/genlayernode version: Version v0\.4\.6, Protocol v0\.4:1dd08066\): release\.url gave another release \(a version written into the URL, or a bad mirror\); nothing was stopped$/,
    });
    expect(s.host.serviceCount('stop')).toBe(0);
    expect(s.host.doubleRuns()).toEqual([]);
    const status = await runGlr(['status', '-f', file]);
    expect(status.stdout).toMatch(/^bad\s+none$/m);
  });

  it('a binary that cannot say which version it is: a warning, and the switch goes on (exit 0)', async () => {
    const s = await each.sandbox();
    await s.publish({ version: 'v0.4.5', noVersionCommand: true });
    const r = await runGlr(['reconcile', '-f', s.host.writeDesired({ version: 'v0.4.5' })]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/bin\/genlayernode version cannot say which version it is \(it exited 2: genlayernode: unknown command/);
    expect(await s.host.healthyOn('v0.4.5')).toBe(true);
  });
});
