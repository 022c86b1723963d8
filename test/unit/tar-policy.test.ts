import { describe, expect, it } from 'vitest';
import { TarPolicy } from '../../src/actions/tar-policy.js';

const run = (entries: [string, string, string?][]) => {
  const p = new TarPolicy();
  for (const [path, type, linkpath] of entries) {
    const why = p.check(path, { type, linkpath });
    if (why) return why;
  }
  return null;
};
const T = 'genlayer-node-linux-amd64-v0.4.5';

describe('release tarball policy', () => {
  it("accepts a release laid out like GenLayer's", () => {
    expect(
      run([
        [`${T}/`, 'Directory'],
        [`${T}/bin/genlayernode`, 'File'],
        [`./${T}/third_party/lib/libx.so`, 'SymbolicLink', 'libx.so.1'],
        [`${T}/third_party/a`, 'Link', `${T}/bin/genlayernode`],
      ]),
    ).toBeNull();
  });
  const refused: [string, [string, string, string?][], RegExp][] = [
    ['.. in a path', [[`${T}/../../etc/cron.d/x`, 'File']], /leaves its folder/],
    ['an absolute path', [['/etc/passwd', 'File']], /absolute path/],
    ['a symlink pointing outside', [[`${T}/evil`, 'SymbolicLink', '../../../etc']], /points outside/],
    ['an absolute symlink', [[`${T}/evil`, 'SymbolicLink', '/etc']], /absolute path/],
    ['a hard link outside', [[`${T}/h`, 'Link', '/etc/shadow']], /hard link/],
    ['a hard link into another folder', [[`${T}/h`, 'Link', 'other/x']], /hard link/],
    ['a device file', [[`${T}/null`, 'CharacterDevice']], /CharacterDevice/],
    ['a fifo', [[`${T}/p`, 'FIFO']], /FIFO/],
    [
      'two top folders',
      [
        [`${T}/a`, 'File'],
        ['other/b', 'File'],
      ],
      /more than one top folder/,
    ],
    ['a file beside the top folder', [['README', 'File']], /outside the release's top folder/],
    [
      'an entry written through a link',
      [
        [`${T}/bin/alias`, 'SymbolicLink', '../third_party'],
        [`${T}/bin/alias/x`, 'File'],
      ],
      /written through the link/,
    ],
    [
      'a link with .. after a folder name (M/.. is not where it looks if M is a link)',
      [[`${T}/data`, 'SymbolicLink', 'a/b/M/../../x']],
      /\.\. after a folder name/,
    ],
    ["glr's own marker in the release", [[`${T}/.glr-prepared`, 'File']], /a name glr keeps for itself/],
  ];
  it('accepts links that climb first and then go down, and a link beside another', () => {
    expect(
      run([
        [`${T}/bin/tool`, 'SymbolicLink', '../third_party/genvm/bin/tool'],
        [`${T}/lib/a/b`, 'SymbolicLink', '../../bin/tool'],
        [`${T}/bin/tool2`, 'SymbolicLink', 'tool'],
      ]),
    ).toBeNull();
  });
  for (const [name, entries, re] of refused) it(`refuses ${name}`, () => expect(run(entries)).toMatch(re));
});
