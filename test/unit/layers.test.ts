import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/**
 * The layers of src/, top to bottom. A module may import its own layer or any layer below it,
 * never one above: cli → watch → reconcile → apply → switch → plan → actions / observe →
 * desired / genlayer / releases → runtime → (yaml, errors, layout).
 */
const LAYERS: [string, string[]][] = [
  ['cli', ['cli']],
  ['watch', ['watch']],
  ['reconcile', ['reconcile.ts', 'record.ts']],
  ['apply', ['apply']],
  ['switch', ['switch']],
  ['plan', ['plan']],
  ['actions/observe', ['actions', 'observe']],
  ['desired/genlayer', ['desired', 'genlayer', 'releases']],
  ['runtime', ['runtime']],
  ['base', ['yaml', 'errors.ts', 'layout.ts']],
];

function layerOf(file: string): number {
  const top = path.relative(SRC, file).split(path.sep)[0]!;
  const i = LAYERS.findIndex(([, names]) => names.includes(top));
  if (i < 0) throw new Error(`${path.relative(SRC, file)} is in no layer: add its folder to LAYERS`);
  return i;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of a file (static, `import type` and dynamic alike), resolved to its .ts source. */
function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

function upward(file: string, text?: string): string[] {
  return importsOf(file, text)
    .filter((target) => layerOf(target) < layerOf(file))
    .map((target) => `${path.relative(SRC, file)} (${LAYERS[layerOf(file)]![0]}) imports ${path.relative(SRC, target)} (${LAYERS[layerOf(target)]![0]})`);
}

describe('the layers of src/', () => {
  const files = sources(SRC);

  it('every module is in a layer', () => {
    for (const f of files) expect(() => layerOf(f)).not.toThrow();
  });

  it('imports run one way: no module imports a layer above its own', () => {
    expect(files.flatMap((f) => upward(f))).toEqual([]);
  });

  it('the check can fail: runtime/ importing plan/ (even a type) is reported', () => {
    const fake = path.join(SRC, 'runtime/fake.ts');
    expect(upward(fake, "import type { Plan } from '../plan/types.js';\nimport { x } from './fsx.js';")).toEqual([
      'runtime/fake.ts (runtime) imports plan/types.ts (plan)',
    ]);
  });

  it('the planner does no I/O: nothing it runs imports a disk, a socket or a process', () => {
    const io = /^import [^;]*from '(node:(fs|fs\/promises|child_process|net|http|https|dgram)|undici|execa|tar|chokidar)';/m;
    const seen = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      const text = readFileSync(f, 'utf8');
      expect(text, path.relative(SRC, f)).not.toMatch(io);
      // `import type` brings no code: only the modules the planner runs are followed
      for (const m of text.matchAll(/^import (?!type )[^;]*from '(\.[^']+)';/gm)) walk(path.resolve(path.dirname(f), m[1]!).replace(/\.js$/, '.ts'));
    };
    walk(path.join(SRC, 'plan/plan.ts'));
    expect(seen.size).toBeGreaterThan(5);
  });

  it('no source file is over 300 lines', () => {
    const long = files.map((f) => [path.relative(SRC, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 300);
    expect(long).toEqual([]);
  });
});

describe('docs that say what the code does', () => {
  it('docs/operations.md lists every GLR_* tuning variable with its default, and no other', async () => {
    const { TUNING_VARIABLES } = await import('../../src/runtime/tuning.js');
    const doc = readFileSync(path.resolve(SRC, '../docs/operations.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `(GLR_[A-Z_]+)` \| `?([^`|]+?)`? \|/gm)].map((m) => [m[1]!, m[2]!.trim()]);
    const expected = [['GLR_LOG_LEVEL', 'info'], ...TUNING_VARIABLES.map((v) => [v.name, String(v.default)])];
    expect(rows.sort()).toEqual(expected.sort());
  });
});

describe('docs that a clone can follow', () => {
  it('no doc sends the reader outside the repository (../shared) or to a src/ or test/ file that does not exist', () => {
    const root = path.resolve(SRC, '..');
    const docs = [
      'README.md',
      ...readdirSync(path.join(root, 'docs'))
        .filter((n) => n.endsWith('.md'))
        .map((n) => `docs/${n}`),
    ];
    const problems: string[] = [];
    for (const d of docs) {
      const text = readFileSync(path.join(root, d), 'utf8');
      if (text.includes('../shared')) problems.push(`${d}: ../shared`);
      for (const m of text.matchAll(/`((?:src|test|bench|sandbox|scripts)\/[\w./-]+\.(?:ts|mjs))`/g)) {
        if (!existsSync(path.join(root, m[1]!))) problems.push(`${d}: ${m[1]} does not exist`);
      }
    }
    expect(problems).toEqual([]);
  });
});
