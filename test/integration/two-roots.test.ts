/**
 * Several nodes on one host, as operators run them (an Asimov and a Bradbury node): two roots,
 * two desired-state files, two systemd units, two health ports, two `glr watch`. Both files are
 * bumped at the same moment; both roots are upgraded at the same time, and neither watcher
 * touches the other's folders, links, lock, journal, backups, history or metrics textfile.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { FakeMachine } from '../../sandbox/machine.js';
import { leakedSecrets, startWatch, type Watching } from '../helpers/glr.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

interface Node {
  name: 'asimov' | 'bradbury';
  sb: Sandbox;
  unit: string;
  prom: string;
  watch?: Watching;
}

const time = (w: Watching, re: RegExp, last = false) => {
  const hits = w.logs().filter((l) => re.test(l.msg));
  return Date.parse(String((last ? hits.at(-1) : hits[0])?.time));
};

describe('two roots on one host, two watchers, upgraded at the same time', () => {
  let machine: FakeMachine;
  const nodes: Node[] = [];

  beforeAll(async () => {
    machine = FakeMachine.create();
    const metrics = path.join(machine.dir, 'node-exporter');
    mkdirSync(metrics);
    for (const [name, network] of [
      ['asimov', 'testnet-asimov'],
      ['bradbury', 'bradbury-phase1'],
    ] as const) {
      const sb = await createSandbox({ running: 'v0.5.10', start: false, release: { network } });
      await sb.publish({ version: 'v0.5.11', network });
      const unit = `genlayer-${name}`;
      machine.writeUnit(unit, sb.host.unitSpec());
      expect(machine.systemctl('start', unit)).toBe(0);
      nodes.push({ name, sb, unit, prom: path.join(metrics, `glr-${name}.prom`) });
    }
    await Promise.all(nodes.map((n) => n.sb.host.waitHealthy('v0.5.10', 20_000)));
    const yaml = (n: Node, version: string) =>
      n.sb.host.desiredYaml({ version, providers: null, systemdUnit: n.unit, network: n.name, extra: `metrics:\n  textfile: ${n.prom}` });
    for (const n of nodes) {
      writeFileSync(n.sb.host.file, yaml(n, 'v0.5.10'));
      n.watch = startWatch(n.sb.host.file, 30, machine.env);
    }
    await waitFor(() => nodes.every((n) => n.watch!.has(/^converged/)), { timeoutMs: 30_000, what: 'both watchers to find their host converged' }).catch(
      (e) => {
        for (const n of nodes) console.log(n.watch!.stderr().slice(-3000));
        throw e;
      },
    );
    // the bump, on both files at once
    for (const n of nodes) writeFileSync(n.sb.host.file, yaml(n, 'v0.5.11'));
    await waitFor(() => nodes.every((n) => n.watch!.has(/^v0\.5\.11 is healthy/)), { timeoutMs: 90_000, what: 'both roots to run v0.5.11' });
  });

  afterAll(async () => {
    for (const n of nodes) await n.watch?.stop('SIGKILL').catch(() => {});
    await machine?.cleanup();
    for (const n of nodes) await n.sb.cleanup();
  });

  it('both run v0.5.11, healthy, each on its own port, its links in its own root', async () => {
    for (const n of nodes) {
      expect(await n.sb.host.healthyOn('v0.5.11'), n.name).toBe(true);
      expect(n.sb.host.linkVersions(), n.name).toEqual(['v0.5.11']);
      expect(n.sb.host.doubleRuns(), n.name).toEqual([]);
    }
    const [a, b] = nodes as [Node, Node];
    expect((await a.sb.host.health())?.body.network).toBe('testnet-asimov');
    expect((await b.sb.host.health())?.body.network).toBe('bradbury-phase1');
  });

  it('the two upgrades ran at the same time (each watcher under its own root’s lock)', () => {
    const [a, b] = nodes.map((n) => ({ start: time(n.watch!, /^pass started$/, true), end: time(n.watch!, /^v0\.5\.11 is healthy/) })) as [
      { start: number; end: number },
      { start: number; end: number },
    ];
    expect(a.start).toBeLessThan(b.end);
    expect(b.start).toBeLessThan(a.end);
    for (const n of nodes) expect(n.watch!.stderr()).not.toMatch(/held by|another glr/);
  });

  it('each root’s history, journal and backups are its own', () => {
    for (const n of nodes) {
      const other = nodes.find((x) => x !== n)!;
      const glr = path.join(n.sb.host.root, '.glr');
      const history = readFileSync(path.join(glr, 'history.jsonl'), 'utf8').trim().split('\n');
      expect(history.map((l) => (JSON.parse(l) as { from: string; version: string; outcome: string }).outcome)).toEqual(['applied']);
      const texts = [history.join('\n'), readFileSync(path.join(glr, 'journal.json'), 'utf8')];
      for (const d of readdirSync(path.join(glr, 'backups'))) {
        for (const f of readdirSync(path.join(glr, 'backups', d))) texts.push(readFileSync(path.join(glr, 'backups', d, f), 'utf8'));
      }
      for (const t of texts) expect(t, n.name).not.toContain(other.sb.host.root);
      // the backed-up config.yaml is this root's: its node's ops port
      expect(texts.join('\n')).toContain(`port: ${n.sb.host.opsPort}`);
      expect(leakedSecrets(n.watch!.stderr())).toEqual([]);
    }
  });

  it('each writes its own metrics textfile, which names its own versions', () => {
    for (const n of nodes) {
      const text = readFileSync(n.prom, 'utf8');
      expect(text, n.name).toContain('glr_running_version_info{version="v0.5.11"} 1');
      expect(text, n.name).toContain('glr_converged 1');
    }
    expect(
      readdirSync(path.dirname(nodes[0]!.prom))
        .filter((f) => f.endsWith('.prom'))
        .sort(),
    ).toEqual(['glr-asimov.prom', 'glr-bradbury.prom']);
  });

  it('each watcher’s log speaks of its own root only', () => {
    for (const n of nodes) {
      const other = nodes.find((x) => x !== n)!;
      expect(n.watch!.stderr()).toContain(n.sb.host.root);
      expect(n.watch!.stderr()).not.toContain(other.sb.host.root);
    }
  });
});
