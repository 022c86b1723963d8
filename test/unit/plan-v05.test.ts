/**
 * The planner's branches for GenLayer's v0.5 procedure and checklist: each a step with
 * its data, a refusal (one line with the fix), a warning or a note, as `--dry-run` shows it.
 */
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { isConverged, stepsOf } from '../../src/plan/steps.js';
import type { Plan } from '../../src/plan/types.js';
import type { Desired } from '../../src/desired/types.js';
import type { Observed } from '../../src/observe/types.js';
import { adopted, DEFAULT_LUA, desired, folder, managedHost, noAnswer, prepared, ROOT, runbookHost, desiredFolder, withOpenAi, kinds } from './fixtures.js';
import { V05_PREPARE_STEPS } from '../helpers/steps.js';

const GREYBOX_LUA = '${exeDir}/../config/genvm-llm-greybox.lua';
const step = <K extends string>(p: Plan, kind: K) =>
  stepsOf(p).find((s) => s.step.kind === kind)?.step as Extract<Plan['prepare'][number], { kind: K }> | undefined;

/** v0.5.10 runs (runbook layout, as GenLayer's procedure leaves it); the file asks for v0.5.11 */
function v05(over: Partial<Observed> = {}, lua = DEFAULT_LUA): Observed {
  const o = runbookHost({ versions: [folder('v0.5.10')], sharedDb: { path: `${ROOT}/v0.5/data/node/genlayer.db`, exists: true, isDir: true }, ...over });
  o.links = {
    ...o.links,
    switchLinks: o.links.switchLinks.map((l) => ({ ...l, target: `${ROOT}/v0.5.10/${l.name}`, version: 'v0.5.10' })),
    version: 'v0.5.10',
  };
  o.health = { ...o.health, nodeVersion: 'v0.5.10' };
  o.runningFiles = { ...o.runningFiles!, version: 'v0.5.10', envNames: [...o.runningFiles!.envNames, 'OPENROUTERKEY'].sort() };
  o.llm = { 'v0.5.10': { ok: true, backends: withOpenAi(false), luaScriptPath: lua } };
  return { ...o, ...over };
}
const d05 = (over: Partial<Desired> = {}) =>
  desired({ version: 'v0.5.11', sharedDb: `${ROOT}/v0.5/data/node/genlayer.db`, genvm: { setup: ['python3', 'setup.py'] }, ...over });

describe('plan: the LLM strategy (v0.5.7+ releases)', () => {
  it('a v0.5 release: llm-release between link-db and set-llm, keeping the running version’s greybox', () => {
    const p = plan(d05(), v05({}, GREYBOX_LUA));
    expect(kinds(p).slice(0, 9)).toEqual(V05_PREPARE_STEPS);
    expect(step(p, 'llm-release')).toMatchObject({ version: 'v0.5.11', strategy: 'greybox' });
    expect(step(p, 'llm-release')!.description).toMatch(
      /genvm-modules-llm-release\.yaml .* lua_script_path on genvm-llm-greybox\.lua \(greybox, kept from v0\.5\.10\)/,
    );
  });

  it('the running default is kept; llm.strategy overrides it; a script that names neither is left to the release (refused if it ships the file)', () => {
    expect(step(plan(d05(), v05()), 'llm-release')).toMatchObject({ strategy: 'default' });
    const asked = d05({ llm: { providers: {}, strategy: 'greybox' } });
    expect(step(plan(asked, v05()), 'llm-release')).toMatchObject({ strategy: 'greybox' });
    const custom = plan(d05(), v05({}, '/etc/genvm/mine.lua'));
    expect(step(custom, 'llm-release')).toMatchObject({ strategy: null });
    expect(step(custom, 'llm-release')!.description).toMatch(/names neither strategy's script: refused if the release ships the file; set llm\.strategy/);
  });

  it('a v0.4 release gets no llm-release step, unless llm.strategy is set', () => {
    expect(kinds(plan(desired(), runbookHost()))).not.toContain('llm-release');
    expect(step(plan(desired({ llm: { providers: {}, strategy: 'default' } }), runbookHost()), 'llm-release')).toMatchObject({ strategy: 'default' });
  });

  it('greybox without OPENROUTERKEY in the carried .env, or with openrouter switched off: refused', () => {
    const o = v05({}, GREYBOX_LUA);
    o.runningFiles = { ...o.runningFiles!, envNames: o.runningFiles!.envNames.filter((n) => n !== 'OPENROUTERKEY') };
    expect(plan(d05(), o).refusals).toEqual([
      expect.stringMatching(/^the greybox LLM strategy needs OPENROUTERKEY set in \.env .* set llm\.strategy: default$/),
    ]);
    const off = plan(d05({ llm: { providers: { openrouter: false }, strategy: null } }), v05({}, GREYBOX_LUA));
    expect(off.refusals).toEqual([expect.stringMatching(/^the greybox LLM strategy needs the openrouter backend on/)]);
    expect(plan(d05({ llm: { providers: {}, strategy: 'default' } }), o).refusals).toEqual([]);
  });

  it('a prepared folder on another strategy than asked gets llm-release (and the providers again) before the switch', () => {
    const d = desired({ llm: { providers: { openai: true }, strategy: 'greybox' } });
    const o = managedHost('v0.4.3');
    o.runningFiles = { ...o.runningFiles!, envNames: ['HEURISTKEY', 'NODE_PASSWORD', 'OPENROUTERKEY'] };
    o.llm['v0.4.5'] = { ok: true, backends: withOpenAi(true), luaScriptPath: DEFAULT_LUA };
    expect(kinds(plan(d, o)).slice(0, 4)).toEqual(['llm-release', 'set-llm', 'check-version', 'backup']);
    // on the strategy asked already: nothing (the folder's binary is asked its version, as for any folder prepared earlier)
    o.llm['v0.4.5'] = { ok: true, backends: withOpenAi(true), luaScriptPath: GREYBOX_LUA };
    expect(kinds(plan(d, o)).slice(0, 2)).toEqual(['check-version', 'backup']);
  });

  it('on a kept host, llm.strategy other than the running one is a warning (applied at the next preparation), not a restart', () => {
    const p = plan(desired({ llm: { providers: { openai: true }, strategy: 'greybox' } }), managedHost('v0.4.5'));
    expect(isConverged(p)).toBe(true);
    expect(p.warnings).toEqual([
      expect.stringMatching(/^llm\.strategy is greybox but v0\.4\.5 runs default: glr sets the strategy when it prepares a version/),
    ]);
  });
});

describe('plan: before the stop (doctor, hooks.preSwitch) and after it (hooks.postSwitch, the synced block)', () => {
  const hooks = { preSwitch: [['/bin/check', '{versionDir}']], postSwitch: [['docker', 'restart', 'genlayer-node-alloy']] };

  it('doctor, then preSwitch, after the preparation and before the backup; postSwitch in the finish, before the journal closes', () => {
    const p = plan(desired({ preflight: { doctor: true, webdriver: null }, hooks }), managedHost('v0.4.3'));
    expect(stepsOf(p).map((s) => `${s.phase}:${s.step.kind}`)).toEqual([
      'prepare:check-version',
      'prepare:doctor',
      'prepare:pre-switch',
      'prepare:backup',
      'prepare:warm-cache',
      'prepare:confirm-desired',
      'window:open-journal',
      'window:stop',
      'window:swap',
      'window:start',
      'verify:verify',
      'finish:post-switch',
      'finish:close-journal',
      'finish:mark-release',
    ]);
    expect(step(p, 'pre-switch')).toMatchObject({ version: 'v0.4.5', from: 'v0.4.3', hooks: hooks.preSwitch });
    expect(p.finish[0]).toMatchObject({ kind: 'post-switch', hooks: hooks.postSwitch, leaving: 'v0.4.3', entering: 'v0.4.5' });
    expect(p.finish[0]!.description).toMatch(/docker restart genlayer-node-alloy.*GLR_OUTCOME=switched.*back on v0\.4\.3 after a rollback \(rolled-back\)/);
  });

  it('no hooks, no doctor: none of these steps', () => {
    const k = kinds(plan(desired(), managedHost('v0.4.3')));
    for (const kind of ['doctor', 'pre-switch', 'post-switch']) expect(k).not.toContain(kind);
  });

  it('postSwitch only where the running version changes and the node comes up', () => {
    const d = desired({ hooks });
    // maintenance (service.running false): the node never comes up
    expect(kinds(plan(desired({ hooks, service: { running: false, manager: 'systemd', unit: 'genlayer-node' } }), managedHost('v0.4.3')))).not.toContain(
      'post-switch',
    );
    // a providers change restarts the same version: no change of version
    const llm = managedHost('v0.4.5', { llm: { 'v0.4.5': { ok: true, backends: withOpenAi(false), luaScriptPath: DEFAULT_LUA } } });
    expect(kinds(plan(d, llm))).not.toContain('post-switch');
    // a switch killed after the swap, finished now: the version changed
    const j = { leaving: 'v0.4.3', entering: 'v0.4.5', at: 't', startedAt: 't', pid: 1 };
    const swapped = managedHost('v0.4.5', {
      service: { state: 'stopped', problem: null, enabled: null },
      health: noAnswer,
      journal: { ...j, phase: 'swapped' },
    });
    expect(plan(d, swapped).finish.map((s) => s.kind)).toEqual(['post-switch', 'close-journal', 'mark-release']);
    // an interrupted rollback, finished: back on v0.4.3 (GLR_OUTCOME rolled-back)
    const rolling = plan(d, managedHost('v0.4.5', { journal: { ...j, phase: 'rolling-back' } }));
    expect(rolling.finish[0]).toMatchObject({ kind: 'post-switch', leaving: 'v0.4.3', entering: 'v0.4.5' });
    expect(rolling.finish[0]!.description).toMatch(/back on v0\.4\.3 \(GLR_OUTCOME=rolled-back\)/);
  });

  it('the verify step compares the synced block after a switch and a providers restart; not a rollback’s, not across a series', () => {
    const p = plan(desired(), managedHost('v0.4.3'));
    expect(p.verify).toMatchObject({ syncedBlock: 'at-least-noted' });
    expect(p.verify!.description).toMatch(/its synced block \(\/metrics\) at or past the one noted before the stop/);
    expect(p.onFailure!.verify).toMatchObject({ syncedBlock: null });
    const llm = managedHost('v0.4.5', { llm: { 'v0.4.5': { ok: true, backends: withOpenAi(false), luaScriptPath: DEFAULT_LUA } } });
    expect(plan(desired(), llm).verify).toMatchObject({ syncedBlock: 'at-least-noted' });
    // nothing noted (no backup step): a plain restart is not compared
    expect(plan(desired(), managedHost('v0.4.5', { service: { state: 'stopped', problem: null, enabled: null }, health: noAnswer })).verify).toMatchObject({
      syncedBlock: null,
    });
  });
});

describe('plan: every entry a release ships, linked through current', () => {
  it('before the download: one step for every entry the release ships, after the links are routed', () => {
    const p = plan(desired(), runbookHost());
    expect(step(p, 'link-release')).toMatchObject({ version: 'v0.4.5', names: null });
    expect(kinds(p).slice(-10, -8)).toEqual(['route-links', 'link-release']);
  });

  it('a prepared folder: only the names the root lacks; .env.example, glr’s markers and the switch links are not linked again', () => {
    const o = managedHost('v0.4.3', { desiredFolder: desiredFolder('v0.4.5', ['.env.example', 'alloy-config.river', 'alloy-healthcheck.sh']) });
    o.links.others = [{ name: 'alloy-config.river', target: 'current/alloy-config.river' }];
    const p = plan(desired(), o);
    expect(step(p, 'link-release')).toMatchObject({ names: ['alloy-healthcheck.sh'] });
    expect(step(p, 'link-release')!.description).toMatch(/link alloy-healthcheck\.sh as .*current\/<name>; resolving once .*current names v0\.4\.5/);
    expect(p.warnings).toEqual([]);
  });

  it('a root entry of the same name that is not glr’s link is never replaced: skipped with a warning', () => {
    const o = managedHost('v0.4.3', { desiredFolder: desiredFolder('v0.4.5', ['alloy-config.river', 'alloy-healthcheck.sh']) });
    o.links.others = [
      { name: 'alloy-config.river', target: null },
      { name: 'alloy-healthcheck.sh', target: '/etc/alloy/check.sh' },
    ];
    const p = plan(desired(), o);
    expect(kinds(p)).not.toContain('link-release');
    expect(p.warnings).toEqual([
      `${ROOT}/alloy-config.river is not a link: glr never replaces it, so v0.4.5's alloy-config.river is not linked (move it aside and run glr again to link it)`,
      `${ROOT}/alloy-healthcheck.sh is a link to /etc/alloy/check.sh: glr never replaces it, so v0.4.5's alloy-healthcheck.sh is not linked (move it aside and run glr again to link it)`,
    ]);
  });

  it('a kept managed host links what its version ships and the root lacks (no restart); a host laid out by hand is warned about', () => {
    const managed = managedHost('v0.4.5', { desiredFolder: desiredFolder('v0.4.5', ['alloy-healthcheck.sh']) });
    const p = plan(desired(), managed);
    expect(stepsOf(p).map((s) => s.step)).toMatchObject([{ kind: 'link-release', names: ['alloy-healthcheck.sh'] }]);
    expect(step(p, 'link-release')!.description).toMatch(/resolving into v0\.4\.5/);

    const byHand = runbookHost({
      versions: [folder('v0.4.5')],
      links: { ...runbookHost().links, switchLinks: runbookHost().links.switchLinks.map((l) => ({ ...l, version: 'v0.4.5' })), version: 'v0.4.5' },
      health: managed.health,
      llm: managed.llm,
      desiredFolder: desiredFolder('v0.4.5', ['alloy-healthcheck.sh']),
    });
    const kept = plan(desired(), byHand);
    expect(isConverged(kept)).toBe(true);
    expect(kept.warnings).toEqual([`v0.4.5 ships alloy-healthcheck.sh and ${ROOT} does not link it; glr links it at the next switch`]);
  });
});

describe('plan: a series change (v0.4 → v0.5)', () => {
  const o = () => runbookHost({ sharedDb: { path: `${ROOT}/v0.5/data/node/genlayer.db`, exists: true, isDir: true } });
  const d = (configFile: string | null) => d05({ configFile });

  it('without configFile: refused, naming GenLayer’s upgrade notes', () => {
    const p = plan(d(null), o());
    expect(p.refusals).toEqual([
      expect.stringMatching(
        /^v0\.5\.11 is a v0\.5 release and v0\.4\.3 \(v0\.4\) runs: a series change.*v0\.5\.0 replaced consensus\.contractmainaddress and contractdataaddress with consensusaddress.*set `configFile:` to it/,
      ),
    ]);
  });

  it('with configFile: installed by the carry; a DB of its own: the plan notes the breaking switch, verified by its sync’s progress', () => {
    const obs = { ...o(), configFile: { path: '/etc/genlayer/config-v0.5.yaml', sha256: 'ab'.repeat(32), problem: null } };
    const p = plan(d('/etc/genlayer/config-v0.5.yaml'), obs);
    expect(p.refusals).toEqual([]);
    expect(step(p, 'carry')).toMatchObject({ from: 'v0.4.3', configFile: '/etc/genlayer/config-v0.5.yaml' });
    expect(step(p, 'carry')!.description).toMatch(/^install \/etc\/genlayer\/config-v0\.5\.yaml as configs\/node\/config\.yaml/);
    expect(p.notes).toEqual([
      expect.stringMatching(
        /^breaking switch v0\.4\.3 → v0\.5\.11: v0\.5\.11 runs on its own DB \/opt\/genlayer-node\/v0\.5\/data\/node\/genlayer\.db, as it is .*stake again through the validator wizard/,
      ),
    ]);
    expect(p.verify).toMatchObject({ syncedBlock: null, progressSeconds: 60 });
  });

  it('a configFile that cannot be read: refused', () => {
    const obs = { ...o(), configFile: { path: '/etc/genlayer/nope.yaml', sha256: null, problem: 'no such file' } };
    expect(plan(d('/etc/genlayer/nope.yaml'), obs).refusals).toEqual([
      'configFile /etc/genlayer/nope.yaml: no such file; set `configFile:` to the config.yaml to install',
    ]);
  });

  it('within a series, configFile is installed too; into a folder glr prepared earlier only when it differs, never into an adopted one', () => {
    const cf = { path: '/etc/genlayer/config.yaml', sha256: 'ab'.repeat(32), problem: null };
    expect(step(plan(desired({ configFile: cf.path }), runbookHost({ configFile: cf })), 'carry')).toMatchObject({ configFile: cf.path });
    const differs = managedHost('v0.4.3', { configFile: cf });
    expect(step(plan(desired({ configFile: cf.path }), differs), 'install-config')).toMatchObject({ version: 'v0.4.5', file: cf.path });
    const same = managedHost('v0.4.3', { configFile: cf, desiredFolder: { ...desiredFolder('v0.4.5'), configSha256: cf.sha256 } });
    expect(kinds(plan(desired({ configFile: cf.path }), same))).not.toContain('install-config');
    const adoptedTarget = managedHost('v0.4.5', { configFile: cf, desiredFolder: null }, [adopted('v0.4.3'), prepared('v0.4.5')]);
    const back = plan(desired({ version: 'v0.4.3', configFile: cf.path }), { ...adoptedTarget, desiredFolder: desiredFolder('v0.4.3') });
    expect(kinds(back)).not.toContain('install-config');
    expect(back.warnings).toEqual([
      expect.stringMatching(/^configFile \/etc\/genlayer\/config\.yaml differs from v0\.4\.3's configs\/node\/config\.yaml; v0\.4\.3 ran before glr/),
    ]);
  });
});

describe('plan: the sharp edges of the running version', () => {
  const refusal = (o: Observed, d = desired()) => {
    const p = plan(d, o);
    expect(stepsOf(p)).toEqual([]);
    return p.refusals;
  };

  it('a version whose data/node/genlayer.db is a folder of its own (the running one, or the one switched to): GenLayer’s fix', () => {
    const o = runbookHost({ versions: [{ ...folder('v0.4.3'), ownDb: true }] });
    expect(refusal(o)).toEqual([
      `${ROOT}/v0.4.3/data/node/genlayer.db is a database folder of its own, not a link to the shared DB ${ROOT}/v0.4/data/node/genlayer.db: its sync state has diverged. GenLayer's fix: stop the node, move the fresher of the two DBs to ${ROOT}/v0.4/data/node/genlayer.db (the other aside), link it (ln -sfn ${ROOT}/v0.4/data/node/genlayer.db ${ROOT}/v0.4.3/data/node/genlayer.db), start the node; then run glr again`,
    ]);
    const target = managedHost('v0.4.3', {}, [adopted('v0.4.3'), { ...prepared('v0.4.5'), ownDb: true }]);
    expect(refusal(target)).toEqual([expect.stringMatching(/^\S+\/v0\.4\.5\/data\/node\/genlayer\.db is a database folder of its own/)]);
    // a folder about to be removed and prepared again does not count
    const unfinishedTarget = managedHost('v0.4.3', {}, [adopted('v0.4.3'), { ...folder('v0.4.5'), preparing: true, ownDb: true }]);
    expect(plan(desired(), unfinishedTarget).refusals).toEqual([]);
  });

  it('a keystore open to others, a .env without NODE_PASSWORD: refused before preparing', () => {
    const o = runbookHost();
    o.runningFiles = { ...o.runningFiles!, keystoreOpen: ['. 755', 'UTC--x 644'], envNames: ['HEURISTKEY', 'OPENAIKEY'] };
    expect(refusal(o)).toEqual([
      `the keystore of v0.4.3 is open to others (folder 755, UTC--x 644): chmod 700 ${ROOT}/v0.4.3/data/node/keystore && chmod 600 ${ROOT}/v0.4.3/data/node/keystore/*, then run glr again`,
      `v0.4.3's .env sets no NODE_PASSWORD: the node unlocks its keystore with it (genlayernode run --password \${NODE_PASSWORD}) and would not start. Set it in ${ROOT}/v0.4.3/.env, then run glr again`,
    ]);
  });

  it('no .env at all: one refusal (the missing file), not a second one about NODE_PASSWORD', () => {
    const o = runbookHost();
    o.runningFiles = { ...o.runningFiles!, env: false, envNames: [] };
    expect(refusal(o)).toEqual([expect.stringMatching(/has no \.env to carry over/)]);
  });

  it('on a kept host the same edges are warnings: nothing is switched, nothing is refused', () => {
    const o = managedHost('v0.4.5', {}, [adopted('v0.4.3'), { ...prepared('v0.4.5'), ownDb: true }]);
    o.runningFiles = { ...o.runningFiles!, keystoreOpen: ['. 755'], envNames: ['HEURISTKEY', 'OPENAIKEY'] };
    const p = plan(desired(), o);
    expect(isConverged(p)).toBe(true);
    expect(p.warnings.map((w) => w.slice(0, 40))).toEqual([
      `${ROOT}/v0.4.5/data/node/genlayer.db is a d`.slice(0, 40),
      'the keystore of v0.4.5 is open to others',
      "v0.4.5's .env sets no NODE_PASSWORD: the",
    ]);
  });

  it('a key set in .env whose provider is off while another backend is usable: a warning (on what the node would run)', () => {
    const p = plan(
      desired({ llm: { providers: {}, strategy: null } }),
      managedHost('v0.4.5', { llm: { 'v0.4.5': { ok: true, backends: withOpenAi(false), luaScriptPath: DEFAULT_LUA } } }),
    );
    expect(p.warnings).toEqual([
      "OPENAIKEY is set in .env but the openai backend is off in v0.4.5's GenVM LLM config: switch it on (llm.providers.openai: true) or remove the key",
    ]);
    // switched on by the file: no warning
    expect(plan(desired(), managedHost('v0.4.5')).warnings).toEqual([]);
  });

  it('a systemd unit that is not enabled: a warning; enabled, or not told: none', () => {
    const at = (enabled: string | null) => plan(desired(), managedHost('v0.4.5', { service: { state: 'running', problem: null, enabled } })).warnings;
    expect(at('disabled')).toEqual([
      'systemctl is-enabled genlayer-node says disabled: the node would not come back after a reboot; run systemctl enable genlayer-node',
    ]);
    expect(at('enabled')).toEqual([]);
    expect(at(null)).toEqual([]);
    // on a switch too, beside its steps
    expect(plan(desired(), managedHost('v0.4.3', { service: { state: 'running', problem: null, enabled: 'masked' } })).warnings).toEqual([
      expect.stringMatching(/says masked/),
    ]);
  });
});
