/**
 * `npm run demo`: the main job on an embedded example. Builds a sandbox validator host in a
 * temporary folder (laid out by the runbook, v0.4.3 running), shows the plan, upgrades it live
 * to v0.4.5 while measuring the downtime, then tries a release that dies on start and shows the
 * automatic rollback. Everything is real: processes, HTTP on 127.0.0.1, files and links.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxHost } from './host.js';
import { startReleaseServer } from './release-server.js';
import { buildRelease } from './releases.js';

const GLR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/glr.js');

function glr(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [GLR, ...args], { env: { ...process.env, GLR_LOG_LEVEL: process.env.GLR_LOG_LEVEL ?? 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const say = (s = '') => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n\x1b[1m== ${s}\x1b[0m`);
const indent = (s: string) =>
  s
    .trimEnd()
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');

async function main(): Promise<number> {
  step('building a sandbox validator host (runbook layout, v0.4.3 running)');
  const server = await startReleaseServer();
  const host = await SandboxHost.create({ server, release: { setupMs: 1500 } });
  try {
    say(`   root ${host.root}`);
    say(`   health ${host.healthUrl}`);
    server.add('v0.4.5', await buildRelease({ version: 'v0.4.5', setupMs: 1500 }));
    server.add('v0.4.6', await buildRelease({ version: 'v0.4.6', mode: 'die-on-start' }));
    const file = host.writeDesired({ version: 'v0.4.5', timeoutSeconds: 20 });

    step('glr reconcile --dry-run   (desired-state.yaml asks for v0.4.5)');
    const plan = await glr(['reconcile', '--dry-run', '-f', file]);
    say(indent(plan.stdout));
    say(`   exit ${plan.code} (2: changes pending)`);

    step('glr reconcile   (prepare while v0.4.3 validates, then one atomic switch)');
    const recordsBefore = host.dbRecords().length;
    const up = await glr(['reconcile', '--json', '-f', file]);
    const result = JSON.parse(up.stdout || '{}') as { message?: string; windowMs?: number; downtimeMs?: number };
    say(`   exit ${up.code}: ${result.message ?? up.stderr.trim()}`);
    if (up.code !== 0) return 1;
    say(`   switch window (stop → swap → start): ${result.windowMs} ms; validator down (stop → healthy): ${result.downtimeMs} ms`);
    say(
      `   links now: ${host.linkVersions().join(', ')}; the node wrote ${host.dbRecords().length - recordsBefore} DB records meanwhile, ${host.doubleRuns().length} with two nodes at once`,
    );

    step('glr reconcile again   (converged: changes nothing, restarts nothing)');
    const again = await glr(['reconcile', '-f', file]);
    say(`   exit ${again.code}: ${again.stdout.trim()}`);

    step('a broken release: v0.4.6 dies on start');
    host.writeDesired({ version: 'v0.4.6', timeoutSeconds: 20 });
    const broken = await glr(['reconcile', '--json', '-f', file]);
    const b = JSON.parse(broken.stdout || '{}') as { message?: string };
    say(`   exit ${broken.code} (3: rolled back by itself): ${b.message ?? broken.stderr.trim()}`);
    say(`   links now: ${host.linkVersions().join(', ')}; healthy on v0.4.5: ${await host.healthyOn('v0.4.5')}`);
    const after = await glr(['reconcile', '--dry-run', '-f', file]);
    say(`   a dry-run afterwards exits ${after.code} and says why:`);
    say(
      indent(
        after.stdout
          .split('\n')
          .filter((l) => l.startsWith('  - ') && l.includes('rolled back'))
          .join('\n'),
      ),
    );

    step('done');
    say('   Try it on your own host: cp desired-state.example.yaml desired-state.yaml; edit; npx glr reconcile --dry-run');
    return 0;
  } finally {
    await host.cleanup();
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
