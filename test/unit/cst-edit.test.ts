import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { YamlEditor } from '../../src/yaml/cst-edit.js';

/** Runs `edit` on `text` and returns the result; every edit must succeed. */
function edited(text: string, edit: (doc: YamlEditor) => boolean[]): string {
  const doc = new YamlEditor(text);
  expect(edit(doc)).not.toContain(false);
  return doc.toString();
}

describe('YamlEditor: several edits, one pass', () => {
  it('CRLF: a scalar edit that changes length, an insertion after it, a first entry and a top-level key, in one pass', () => {
    const text = 'version: v0.4.5   # bumped by CI\r\nrelease:\r\n  url: https://h/f.tar.gz # tarball\r\n# tail\r\n';
    const doc = new YamlEditor(text);
    expect(doc.setScalar(['version'], 'v0.4.10-rc.1')).toBe(true);
    expect(doc.addEntry(['release'], 'sha256', 'ab'.repeat(32))).toBe(true);
    expect(doc.addFirstEntry(['release'], 'enabled', false)).toBe(true);
    expect(doc.setOrAddScalar(['lua_script_path'], 'genvm-llm-greybox.lua')).toBe(true);
    expect(doc.toString()).toBe(
      'version: v0.4.10-rc.1   # bumped by CI\r\nrelease:\r\n  enabled: false\r\n  url: https://h/f.tar.gz # tarball\r\n' +
        `  sha256: ${'ab'.repeat(32)}\r\n# tail\r\nlua_script_path: genvm-llm-greybox.lua\r\n`,
    );
  });

  it('edits see each other: a key just added is there, and is not added twice', () => {
    const doc = new YamlEditor('x: 1\n');
    expect(doc.addEntry([], 'y', 'a')).toBe(true);
    expect(doc.has(['y'])).toBe(true);
    expect(doc.addEntry([], 'y', 'b')).toBe(false);
    expect(doc.setScalar(['y'], 'c')).toBe(true);
    expect(doc.toString()).toBe('x: 1\ny: c\n');
  });

  it('changes nothing when no edit is made', () => {
    const text = '# head\n\n---\nversion: "v0.4.5"   # c\nllm: {providers: {openai: true}}\n\n# tail';
    expect(new YamlEditor(text).toString()).toBe(text);
  });

  it('refuses text that is not one valid YAML document', () => {
    expect(() => new YamlEditor('a: [1\n')).toThrow(/^invalid YAML/);
    expect(() => new YamlEditor('a: 1\na: 2\n')).toThrow(/^invalid YAML: Map keys must be unique/);
    expect(() => new YamlEditor('a: 1\n---\nb: 2\n')).toThrow('more than one YAML document');
    expect(() => new YamlEditor('')).toThrow('no YAML document');
  });
});

describe('YamlEditor.setScalar', () => {
  it('keeps the quoting style and the spaces before a trailing comment', () => {
    expect(edited('x:\n  y: "old"  # c\n', (d) => [d.setScalar(['x', 'y'], 'new')])).toBe('x:\n  y: "new"  # c\n');
    expect(edited("x: 'old' # c\n", (d) => [d.setScalar(['x'], 'longer value')])).toBe("x: 'longer value' # c\n");
    expect(edited('"version": v1\n', (d) => [d.setScalar(['version'], 'v2')])).toBe('"version": v2\n');
  });

  it('writes booleans plain, and double-quotes a plain string that would read back as something else', () => {
    expect(edited('a: "false"\n', (d) => [d.setScalar(['a'], true)])).toBe('a: true\n');
    const out = edited('a: x\nb: x\nc: x\n', (d) => [d.setScalar(['a'], '0123'), d.setScalar(['b'], 'k: v'), d.setScalar(['c'], 'null')]);
    expect(out).toBe('a: "0123"\nb: "k: v"\nc: "null"\n');
    expect(parse(out)).toEqual({ a: '0123', b: 'k: v', c: 'null' });
    expect(edited('r: {a: x}\n', (d) => [d.setScalar(['r', 'a'], 'x,y')])).toBe('r: {a: "x,y"}\n');
  });

  it('gives a value to an entry that has none, before its trailing comment', () => {
    expect(edited('b:\n  enabled:\n  key: y\n', (d) => [d.setScalar(['b', 'enabled'], false)])).toBe('b:\n  enabled: false\n  key: y\n');
    expect(edited('b:\n  enabled: # c\n', (d) => [d.setScalar(['b', 'enabled'], true)])).toBe('b:\n  enabled: true # c\n');
    expect(edited('b:\n  enabled:', (d) => [d.setScalar(['b', 'enabled'], true)])).toBe('b:\n  enabled: true');
  });

  it('is false for what is not a scalar entry: a map, an alias, a missing key, a path through a sequence', () => {
    const doc = new YamlEditor('a: &x v\nb: *x\nm:\n  k: 1\ns:\n- k: 1\n');
    expect(doc.setScalar(['b'], 'w')).toBe(false);
    expect(doc.setScalar(['m'], 'w')).toBe(false);
    expect(doc.setScalar(['nope'], 'w')).toBe(false);
    expect(doc.setScalar(['s', 'k'], 'w')).toBe(false);
    expect(doc.toString()).toBe('a: &x v\nb: *x\nm:\n  k: 1\ns:\n- k: 1\n');
  });
});

describe('YamlEditor.addEntry: block maps', () => {
  it('adds after the last entry of a nested map and refuses where it cannot', () => {
    expect(edited('a:\n  b: 1 # one\n  c: 2\nd: 3\n', (d) => [d.addEntry(['a'], 'e', 'x')])).toBe('a:\n  b: 1 # one\n  c: 2\n  e: x\nd: 3\n');
    const t = new YamlEditor('a:\n  b: 1\n');
    expect(t.addEntry(['a'], 'b', 'x')).toBe(false); // already there
    expect(t.addEntry(['a', 'b'], 'c', 'x')).toBe(false); // not a map
    expect(t.addEntry(['nope'], 'c', 'x')).toBe(false);
    expect(t.addEntry(['a'], 'c', {})).toBe(false);
    expect(t.toString()).toBe('a:\n  b: 1\n');
  });

  it('keeps a comment line and a blank line after the last entry after the new one', () => {
    expect(edited('release:\n  url: x\n  # pin later\nllm: {}\n', (d) => [d.addEntry(['release'], 'sha256', 'abc')])).toBe(
      'release:\n  url: x\n  sha256: abc\n  # pin later\nllm: {}\n',
    );
    expect(edited('release:\n  url: x\n\nllm: {}\n', (d) => [d.addEntry(['release'], 'sha256', 'abc')])).toBe('release:\n  url: x\n  sha256: abc\n\nllm: {}\n');
  });

  it('adds after a nested block, and after an entry whose value is empty', () => {
    expect(edited('llm:\n  providers:\n    openai: true\n    # c\nroot: x\n', (d) => [d.addEntry(['llm'], 'strategy', 'greybox')])).toBe(
      'llm:\n  providers:\n    openai: true\n    # c\n  strategy: greybox\nroot: x\n',
    );
    expect(edited('b:\n  key: y\n  enabled:\nc: 1\n', (d) => [d.addEntry(['b'], 'z', 'q')])).toBe('b:\n  key: y\n  enabled:\n  z: q\nc: 1\n');
  });

  it('a file without a final newline: the new line goes on a line of its own', () => {
    expect(edited('release:\n  url: x', (d) => [d.addEntry(['release'], 'sha256', 'abc')])).toBe('release:\n  url: x\n  sha256: abc\n');
    expect(edited('a: 1\n# tail', (d) => [d.addEntry([], 'b', 'x')])).toBe('a: 1\n# tail\nb: x\n');
    expect(edited('a: 1 # c', (d) => [d.addEntry([], 'b', 'x')])).toBe('a: 1 # c\nb: x\n');
    expect(edited('a:\n  b: 1\n  ', (d) => [d.addEntry([], 'c', 'x')])).toBe('a:\n  b: 1\n  \nc: x\n');
  });

  it('the top level: at the end, after trailing comments; a map value one indentation step deeper', () => {
    expect(edited('a:\n    b: 1\n# end\n', (d) => [d.addEntry([], 'release', { sha256: 'x', url: 'https://h/p' })])).toBe(
      'a:\n    b: 1\n# end\nrelease:\n    sha256: x\n    url: "https://h/p"\n',
    );
    expect(edited('---\na: |\n  text\n\n# c\n', (d) => [d.addEntry([], 'b', 'x')])).toBe('---\na: |\n  text\n\n# c\nb: x\n');
    expect(edited('  a: 1\n  b: 2\n', (d) => [d.addEntry([], 'c', 'x')])).toBe('  a: 1\n  b: 2\n  c: x\n');
  });

  it('refuses the top level of a document closed by `...` (what follows it would be a second document)', () => {
    const doc = new YamlEditor('a: 1\n...\n');
    expect(doc.addEntry([], 'b', 'x')).toBe(false);
    expect(doc.toString()).toBe('a: 1\n...\n');
  });

  it('writes new strings plain only when unambiguous', () => {
    const out = edited('a: x\n', (d) => [
      d.addEntry([], 'n', '0123'),
      d.addEntry([], 'e', ''),
      d.addEntry([], 'k', 'has space'),
      d.addEntry([], 'p', 'v0.4.5'),
    ]);
    expect(out).toBe('a: x\nn: "0123"\ne: ""\nk: "has space"\np: v0.4.5\n');
  });
});

describe('YamlEditor.addEntry: flow maps', () => {
  it('after the last value, into an empty {}, and as a nested flow map', () => {
    expect(edited("release: {url: 'h'}  # c\n", (d) => [d.addEntry(['release'], 'sha256', 'abc')])).toBe("release: {url: 'h', sha256: abc}  # c\n");
    expect(edited('release: {}\n', (d) => [d.addEntry(['release'], 'sha256', 'abc')])).toBe('release: {sha256: abc}\n');
    expect(edited('{a: 1}\n', (d) => [d.addEntry([], 'r', { x: 'y', z: true })])).toBe('{a: 1, r: {x: y, z: true}}\n');
    expect(edited('r: {a: {b: 1}  }\n', (d) => [d.addEntry(['r'], 's', 'x')])).toBe('r: {a: {b: 1}, s: x  }\n');
  });

  it('over several lines: before the last value’s comment; a trailing comma stays trailing', () => {
    expect(edited('r: {\n  url: x, # c\n  b: 2 # d\n}\n', (d) => [d.addEntry(['r'], 's', 'abc')])).toBe('r: {\n  url: x, # c\n  b: 2, s: abc # d\n}\n');
    expect(edited('r: {a: 1,}\n', (d) => [d.addEntry(['r'], 's', 'abc')])).toBe('r: {a: 1, s: abc,}\n');
  });
});

describe('YamlEditor.addFirstEntry', () => {
  it('adds a line at the top of a block map, under comment lines above its first key', () => {
    expect(edited('x:\n  y: 1\n', (d) => [d.addFirstEntry(['x'], 'enabled', false)])).toBe('x:\n  enabled: false\n  y: 1\n');
    expect(edited('backends:\n  a:\n    # c\n    host: x\n', (d) => [d.addFirstEntry(['backends', 'a'], 'enabled', false)])).toBe(
      'backends:\n  a:\n    # c\n    enabled: false\n    host: x\n',
    );
    expect(edited('# head\n\nversion: 1\n', (d) => [d.addFirstEntry([], 'a', 'b')])).toBe('# head\n\na: b\nversion: 1\n');
    expect(edited('x:\n- a: 1\n  b: 2\n', (d) => [d.addFirstEntry([], 'y', 'z')])).toBe('y: z\nx:\n- a: 1\n  b: 2\n');
  });

  it('is false for a flow map and for a key already there', () => {
    const doc = new YamlEditor('x: {y: 1}\nz:\n  enabled: true\n');
    expect(doc.addFirstEntry(['x'], 'enabled', false)).toBe(false);
    expect(doc.addFirstEntry(['z'], 'enabled', false)).toBe(false);
    expect(doc.toString()).toBe('x: {y: 1}\nz:\n  enabled: true\n');
  });
});

describe('YamlEditor.setOrAddScalar', () => {
  it('sets a top-level scalar in place, or adds it at the end', () => {
    expect(edited('lua_script_path: old.lua # c\nx: 1\n', (d) => [d.setOrAddScalar(['lua_script_path'], '${GENVM}/new.lua')])).toBe(
      'lua_script_path: ${GENVM}/new.lua # c\nx: 1\n',
    );
    expect(edited('x: 1\r\n', (d) => [d.setOrAddScalar(['lua_script_path'], 'a/b.lua')])).toBe('x: 1\r\nlua_script_path: a/b.lua\r\n');
  });
});
