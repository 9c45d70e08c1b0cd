// docs/cli.md lists every command and flag of the CLI: each command's usage lines (as
// `airlock --help` prints them) appear in it (line breaks and indentation aside), and each flag
// they name is described in that command's section, outside its code blocks (text or flag table).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { COMMAND_NAMES, commandUsage, fullHelp } from '../../src/cli/usage.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/cli.md', import.meta.url)), 'utf8');
const squeeze = (text: string): string => text.replace(/\s+/g, ' ');

/** The synopsis lines of a usage text (how to call a command, as typed in a shell). */
function synopses(usage: string): string[] {
  return usage
    .split('\n')
    .filter((line) => /^ {2}(airlock|printf) /.test(line))
    .map((line) => line.trim());
}

describe('docs/cli.md', () => {
  it('has every usage line of the help', () => {
    const lines = COMMAND_NAMES.flatMap((command) => synopses(commandUsage(command)));
    assert.ok(lines.every((line) => fullHelp().includes(line)), 'the help prints each command\'s usage');
    assert.ok(lines.length >= 30, `the help's usage lines were found (${lines.length})`);
    const missing = lines.filter((line) => !squeeze(doc).includes(squeeze(line)));
    assert.deepEqual(missing, [], 'usage lines missing from docs/cli.md');
  });

  it("describes every flag of each command's usage in that command's section", () => {
    const sections = doc.split(/^## /m);
    const undocumented: string[] = [];
    for (const command of COMMAND_NAMES) {
      const section = sections.find((s) => s.startsWith(`\`airlock ${command}\``));
      assert.ok(section, `docs/cli.md has a section "## \`airlock ${command}\`"`);
      const prose = section.replace(/```[\s\S]*?```/g, '');
      const flags = new Set(synopses(commandUsage(command)).flatMap((line) => line.match(/--[a-z][a-z0-9-]*/g) ?? []));
      for (const flag of flags) if (!prose.includes(`\`${flag}`)) undocumented.push(`${command} ${flag}`);
    }
    assert.deepEqual(undocumented, [], 'flags the help names that docs/cli.md does not describe');
  });

  it('prints, where an example shows a command\'s usage, the usage the CLI prints', () => {
    // An example's output is written as `# ` comments: a `# usage:` line, then the usage lines.
    const shown = [...doc.matchAll(/^# usage:\n((?:#   .*\n)+)/gm)].map((m) => m[1]!.replace(/^# /gm, ''));
    assert.ok(shown.length >= 2, `usage examples were found (${shown.length})`);
    for (const usage of shown) {
      const command = COMMAND_NAMES.find((name) => usage.startsWith(`  airlock ${name} `));
      assert.ok(command !== undefined, `a usage example names a command: ${usage}`);
      assert.equal(usage, commandUsage(command).replace(/^usage:\n/, ''), `the usage docs/cli.md shows for ${command}`);
    }
  });
});
