import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../sandbox/host.js';
import { GLR_BIN, killGroup, leakedSecrets, REPO, runGlr, startGlr } from '../helpers/glr.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

/**
 * docs/operator-guide.md, run: every fenced block whose info string is `sh glr [given=STATE]` is
 * executed line by line, in the order of the guide, against one sandbox host. A trailing
 * `# exit N` is the exit code expected (0 without one). `given=STATE` puts the host in that state
 * first (below). The guide's paths and GenLayer's bucket are replaced by the sandbox's.
 */
const GUIDE = path.join(REPO, 'docs/operator-guide.md');
const text = readFileSync(GUIDE, 'utf8');

interface Block {
  info: string;
  body: string;
  line: number;
}
const blocks: Block[] = [...text.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
  info: m[1]!.trim(),
  body: m[2]!,
  line: text.slice(0, m.index).split('\n').length,
}));
const tested = blocks.filter((b) => /^sh glr(\s|$)/.test(b.info));

interface Command {
  argv: string[];
  exit: number;
  text: string;
  given: string | null;
  line: number;
}

/** A shell line as its words: single and double quotes, no variables, no pipes (refused). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|([^\s'"]+)|(\s+)/g;
  let cur: string | null = null;
  for (const m of line.matchAll(re)) {
    if (m[4] !== undefined) {
      if (cur !== null) out.push(cur);
      cur = null;
      continue;
    }
    const part = m[1] ?? m[2] ?? m[3]!;
    if (m[3] !== undefined && /[|<>;&$`]/.test(part)) throw new Error(`a shell construct in a tested command: ${line}`);
    cur = (cur ?? '') + part;
  }
  if (cur !== null) out.push(cur);
  return out;
}

const commands: Command[] = tested.flatMap((b) => {
  const given = /given=(\S+)/.exec(b.info)?.[1] ?? null;
  return b.body
    .split('\n')
    .map((l, i) => ({ l: l.trim(), i }))
    .filter(({ l }) => l && !l.startsWith('#'))
    .map(({ l, i }, k) => {
      const m = /^(.*?)\s+#\s*(.*)$/.exec(l);
      const cmd = m ? m[1]! : l;
      const exit = m ? Number(/^exit (\d)$/.exec(m[2]!.trim())?.[1] ?? 0) : 0;
      return { argv: words(cmd), exit, text: cmd, given: k === 0 ? given : null, line: b.line + 1 + i };
    });
});

let sb: Sandbox | undefined;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'glr-guide-'));
afterAll(async () => {
  await sb?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const spec = (s: Sandbox, v: string) => path.join(s.host.root, v, 'bin/fake-node.json');
const setMode = (s: Sandbox, v: string, mode: string) =>
  writeFileSync(spec(s, v), JSON.stringify({ ...(JSON.parse(readFileSync(spec(s, v), 'utf8')) as object), mode }));

/** The host states a block may ask for. */
const GIVEN: Record<string, () => Promise<void>> = {
  /** a host as the runbook leaves it, v0.4.3 running; the file names it; releases in the bucket */
  'runbook-host': async () => {
    sb = await createSandbox();
    await sb.publish({ version: 'v0.4.5' });
    await sb.publish({ version: 'v0.4.6', mode: 'die-on-start' });
    sb.host.writeDesired({ version: 'v0.4.3', providers: null, timeoutSeconds: 5, extra: `retain: 1\nmetrics:\n  textfile: ${sb.host.dir}/glr.prom` });
  },
  /** the running version v0.4.5 will not start again (its spec is read at start), nor will v0.4.7 */
  'old-version-broken': async () => {
    setMode(sb!, 'v0.4.5', 'die-on-start');
    await sb!.publish({ version: 'v0.4.7', mode: 'die-on-start' });
  },
  /** the operator fixed v0.4.5 */
  'old-version-fixed': async () => {
    setMode(sb!, 'v0.4.5', 'ok');
  },
};

function substitute(argv: string[]): string[] {
  return argv.map((a) =>
    a
      .replaceAll('/etc/glr/desired-state.yaml', sb?.host.file ?? '/etc/glr/desired-state.yaml')
      .replaceAll('https://storage.googleapis.com', sb?.server.origin ?? ''),
  );
}

describe('docs/operator-guide.md', () => {
  it('marks its commands: every glr command of the guide is in a tested block, and there are enough of them', () => {
    expect(commands.length).toBeGreaterThan(25);
    for (const b of blocks.filter((x) => !tested.includes(x)))
      expect(b.body, `line ${b.line}: a glr command outside a \`sh glr\` block`).not.toMatch(/\bnpx glr\b/);
    for (const c of commands) expect(c.argv.slice(0, 2), `line ${c.line}`).toEqual(['npx', 'glr']);
    for (const c of commands) if (c.given) expect(Object.keys(GIVEN), `line ${c.line}`).toContain(c.given);
    // each exit code of the table is shown by a command that gives it
    expect(new Set(commands.map((c) => c.exit))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('every command runs against a sandbox host with the exit code the guide gives', async () => {
    for (const c of commands) {
      if (c.given) await GIVEN[c.given]!();
      const r = await runGlr(substitute(c.argv.slice(2)), { cwd: sb?.host.state ?? scratch, timeoutMs: 60_000 });
      expect(r.code, `docs/operator-guide.md:${c.line}: ${c.text}\n${r.stdout}\n${r.stderr}`).toBe(c.exit);
      expect(leakedSecrets(r.stdout, r.stderr), c.text).toEqual([]);
    }
    // where the guide leaves the host: recovered, on v0.4.5, nothing pruned that runs
    expect(await sb!.host.healthyOn('v0.4.5')).toBe(true);
    expect(sb!.host.doubleRuns()).toEqual([]);
  }, 300_000);

  it('the glr-watch unit’s ExecStart runs: it converges and stops cleanly on SIGTERM', async () => {
    const unit = readFileSync(path.join(REPO, 'docs/examples/glr-watch.service'), 'utf8');
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(/\s+/);
    expect(exec.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/glr/dist/bin/glr.js']);
    expect(exec).toContain('/etc/glr/desired-state.yaml');
    const args = substitute(exec.slice(2));
    expect(args[0]).toBe('watch');
    expect(GLR_BIN).toMatch(/dist\/bin\/glr\.js$/);
    const { child, stderr, done } = startGlr(args, { env: { GLR_LOG_LEVEL: 'debug' } });
    try {
      await waitFor(() => /"msg":"converged/.test(stderr()), { timeoutMs: 30_000, what: 'the unit’s first pass' });
    } finally {
      child.kill('SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 20_000).unref();
    }
    expect((await done).code).toBe(0);
  });
});
