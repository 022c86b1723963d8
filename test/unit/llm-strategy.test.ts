import { describe, expect, it } from 'vitest';
import { parseBackends } from '../../src/genlayer/llm-config.js';
import { idleKeyWarnings, luaScriptPath, strategyOf, withStrategy } from '../../src/genlayer/llm-strategy.js';
import { isGlrError } from '../../src/errors.js';
import { V05_LLM_RELEASE_CONFIG } from '../../sandbox/release-files.js';

describe('the GenVM LLM strategy', () => {
  it('is told by the script lua_script_path names, wherever it is', () => {
    expect(strategyOf('${exeDir}/../config/genvm-llm-greybox.lua')).toBe('greybox');
    expect(strategyOf('/opt/genlayer-node/v0.5.10/third_party/genvm/config/genvm-llm-default.lua')).toBe('default');
    expect(strategyOf('${exeDir}/../config/my-own.lua')).toBeNull();
    expect(strategyOf(null)).toBeNull();
    expect(luaScriptPath(V05_LLM_RELEASE_CONFIG)).toBe('${exeDir}/../config/genvm-llm-default.lua');
    expect(luaScriptPath('backends: {}\n')).toBeNull();
  });

  it('the release file with the greybox script: only that value changes, every other byte stays', () => {
    const out = withStrategy(V05_LLM_RELEASE_CONFIG, 'greybox', 'x');
    expect(luaScriptPath(out)).toBe('${exeDir}/../config/genvm-llm-greybox.lua');
    expect(out).toBe(V05_LLM_RELEASE_CONFIG.replace('genvm-llm-default.lua', 'genvm-llm-greybox.lua'));
    expect(withStrategy(V05_LLM_RELEASE_CONFIG, 'default', 'x')).toBe(V05_LLM_RELEASE_CONFIG);
  });

  it('a file without lua_script_path is refused, naming it', () => {
    try {
      withStrategy('backends:\n  a: {key: x}\n', 'greybox', "v0.5.11's genvm-modules-llm-release.yaml");
      expect.unreachable();
    } catch (e) {
      expect(isGlrError(e) && e.message).toMatch(/^v0\.5\.11's genvm-modules-llm-release\.yaml: no plain `lua_script_path:`/);
    }
  });

  it('keys set for backends that are off are warned about only while another backend is usable', () => {
    const backends = parseBackends(V05_LLM_RELEASE_CONFIG);
    expect(idleKeyWarnings('v0.5.11', backends, ['HEURISTKEY', 'ANTHROPICKEY'])).toEqual([
      "ANTHROPICKEY is set in .env but the anthropic backend is off in v0.5.11's GenVM LLM config: switch it on (llm.providers.anthropic: true) or remove the key",
    ]);
    // nothing usable: the refusal about backends says it all, no warning on top
    expect(idleKeyWarnings('v0.5.11', backends, ['ANTHROPICKEY'])).toEqual([]);
  });
});
