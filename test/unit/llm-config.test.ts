import { describe, expect, it } from 'vitest';
import { ExitCode, isGlrError } from '../../src/errors.js';
import { editProviders, parseBackends, usableBackends, withProviders } from '../../src/genlayer/llm-config.js';
import { LLM_CONFIG } from '../../sandbox/releases.js';

const backends = (text: string) => parseBackends(text);

/** The refusal's message; the test fails unless `f` refuses (a GlrError with exit code 1). */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isGlrError(e)) throw e;
    expect(e.code).toBe(ExitCode.refused);
    return e.message;
  }
  throw new Error('expected a refusal');
}

describe('GenVM LLM config', () => {
  it('reads providers, defaults, and key names as GenVM does', () => {
    expect(backends(LLM_CONFIG)).toEqual({
      heurist: { enabled: true, keyVar: 'HEURISTKEY', literalKey: false },
      openai: { enabled: false, keyVar: 'OPENAIKEY', literalKey: false },
      anthropic: { enabled: false, keyVar: 'ANTHROPICKEY', literalKey: false },
      google: { enabled: true, keyVar: 'GEMINIKEY', literalKey: false },
    });
  });

  it('switches a provider on and off and changes nothing else', () => {
    const { text, changed } = editProviders(LLM_CONFIG, { openai: true, google: false });
    expect(changed).toEqual(['openai', 'google']);
    expect(backends(text)).toMatchObject({ openai: { enabled: true }, google: { enabled: false }, heurist: { enabled: true }, anthropic: { enabled: false } });
    for (const keep of [
      '# off by default; operators with an OpenAI key switch it on',
      '# GenVM LLM module',
      'meta: {priority: -1}',
      'eq_comparative: "compare {leader_answer} with {validator_answer}"',
      'key: ${ENV[OPENAIKEY]}',
    ]) {
      expect(text).toContain(keep);
    }
    // exactly two changes: openai's `enabled: false` → true, and a new line at the top of google's block
    const expected = LLM_CONFIG.replace(
      '    # off by default; operators with an OpenAI key switch it on\n    enabled: false',
      '    # off by default; operators with an OpenAI key switch it on\n    enabled: true',
    ).replace('  google:\n    host:', '  google:\n    enabled: false\n    host:');
    expect(text).toBe(expected);
  });

  it('works where `enabled` is not the line right under the provider (the runbook sed bug)', () => {
    // anthropic has `enabled: false` on its third line: sed '/^  anthropic:/,/^  / s/.../' misses it
    const { text } = editProviders(LLM_CONFIG, { anthropic: true });
    expect(backends(text).anthropic!.enabled).toBe(true);
    expect(text).toContain('    provider: anthropic\n    enabled: true\n');
  });

  it('adds nothing when a provider without `enabled` is asked on (absent means on)', () => {
    const r = editProviders(LLM_CONFIG, { heurist: true });
    expect(r.changed).toEqual([]);
    expect(r.text).toBe(LLM_CONFIG);
  });

  it('keeps CRLF line ends and trailing comments, and writes booleans plain', () => {
    const crlf = 'backends:\r\n  a:\r\n    enabled: "false"   # quoted\r\n    key: x\r\n  b:\r\n    key: y # trailing\r\n';
    const out = editProviders(crlf, { a: true, b: false }).text;
    expect(out).toBe('backends:\r\n  a:\r\n    enabled: true   # quoted\r\n    key: x\r\n  b:\r\n    enabled: false\r\n    key: y # trailing\r\n');
    expect(backends(out)).toMatchObject({ a: { enabled: true }, b: { enabled: false } });
  });

  it('edits a file without a final newline, and gives an empty `enabled:` a value', () => {
    const text = 'backends:\n  a:\n    enabled:\n    key: x\n  b:\n    key: y # last';
    const out = editProviders(text, { a: false, b: false }).text;
    expect(out).toBe('backends:\n  a:\n    enabled: false\n    key: x\n  b:\n    enabled: false\n    key: y # last');
    expect(backends(out)).toMatchObject({ a: { enabled: false }, b: { enabled: false } });
  });

  it('switches off a backend written as a flow map', () => {
    const out = editProviders('backends:\n  a: {key: x}   # flow\n  b: {key: y, enabled: true}\n', { a: false, b: false }).text;
    expect(out).toBe('backends:\n  a: {key: x, enabled: false}   # flow\n  b: {key: y, enabled: false}\n');
  });

  it('refuses, naming the file, a config without backends and a backend it cannot edit', () => {
    expect(refusal(() => parseBackends('backends: [a, b]\n', "v0.4.5's GenVM LLM config"))).toBe("v0.4.5's GenVM LLM config: no `backends:` map");
    expect(refusal(() => parseBackends('backends: {a: 1\n'))).toMatch(/^the GenVM LLM config: invalid YAML: /);
    expect(refusal(() => editProviders('backends:\n  a:\n  b: {key: x}\n', { a: false }, 'f.yaml'))).toBe(
      'f.yaml: backends.a is not a map with a plain `enabled:`; set it by hand',
    );
  });

  it('names providers the release does not have', () => {
    expect(editProviders(LLM_CONFIG, { mistral: true }).unknown).toEqual(['mistral']);
    expect(withProviders(backends(LLM_CONFIG), { mistral: true }).unknown).toEqual(['mistral']);
  });

  it('a backend is usable when enabled and its key variable is set', () => {
    const b = backends(LLM_CONFIG);
    expect(usableBackends(b, ['HEURISTKEY'])).toEqual(['heurist']);
    expect(usableBackends(b, ['OPENAIKEY'])).toEqual([]);
    expect(usableBackends(withProviders(b, { openai: true }).backends, ['OPENAIKEY'])).toEqual(['openai']);
    expect(usableBackends(b, [])).toEqual([]);
  });
});
