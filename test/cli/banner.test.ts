// The server's start banner: its copy-paste example tells the CLI where the admin key is
// whenever the CLI's default (./.airlock under the directory it runs in) would not find it, and
// runs the CLI with `npx airlock` only in this package's root (elsewhere by its absolute path).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliCommand, startBanner } from '../../src/cli/banner.js';
import { shellWord } from '../../src/core/shell-word.js';
import type { BannerFacts } from '../../src/cli/banner.js';
import { CLI } from '../support/process.js';

const base: BannerFacts = {
  url: 'http://127.0.0.1:8080',
  isolation: 'bwrap',
  dataDir: '/srv/app/.airlock',
  adminKey: { key: 'ak_admin_secret', generated: true, path: '/srv/app/.airlock/admin.key' },
  keyFromEnv: false,
  cwd: '/srv/app',
  cli: 'npx airlock',
};

/** How the example runs the CLI when the server started outside the package root. */
const ELSEWHERE = 'node /opt/airlock/dist/src/cli/main.js';

describe('start banner', () => {
  it('with the default data dir, the example runs from the same directory and needs only the URL', () => {
    const text = startBanner(base);
    assert.match(text, /Airlock is listening on http:\/\/127\.0\.0\.1:8080 {2}\(isolation: bwrap, data: \/srv\/app\/\.airlock\)/);
    assert.match(text, /admin key: ak_admin_secret {3}\(new; saved to \/srv\/app\/\.airlock\/admin\.key\)/);
    assert.match(text, /Try it \(in another shell, from this directory\):/);
    assert.match(text, /export AIRLOCK_URL=http:\/\/127\.0\.0\.1:8080/);
    assert.doesNotMatch(text, /AIRLOCK_DATA_DIR|AIRLOCK_KEY/);
  });

  it('with a data dir elsewhere, the example exports it so the CLI finds the key from any directory', () => {
    const text = startBanner({ ...base, cli: ELSEWHERE, dataDir: '/var/lib/airlock', adminKey: { key: 'ak_admin_x', generated: false, path: '/var/lib/airlock/admin.key' } });
    assert.match(text, /^admin key: in \/var\/lib\/airlock\/admin\.key {3}\(print it with: cat \/var\/lib\/airlock\/admin\.key\)$/m);
    assert.doesNotMatch(text, /ak_admin_x/, 'a key from an earlier start is not printed again (it would land in logs)');
    assert.match(text, /Try it \(in another shell\):/);
    assert.match(text, /^ {2}export AIRLOCK_DATA_DIR=\/var\/lib\/airlock {3}#/m);
  });

  it('with the key from AIRLOCK_ADMIN_KEY, the key is not printed and the example passes it on', () => {
    const text = startBanner({ ...base, cli: ELSEWHERE, keyFromEnv: true, adminKey: { key: 'ak_from_env', generated: false, path: undefined } });
    assert.doesNotMatch(text, /ak_from_env/);
    assert.match(text, /admin key: \(from AIRLOCK_ADMIN_KEY\)/);
    assert.match(text, /^ {2}export AIRLOCK_KEY="\$AIRLOCK_ADMIN_KEY" {3}# AIRLOCK_ADMIN_KEY must be set in this shell too, to the server's admin key$/m);
    assert.doesNotMatch(text, /from this directory|AIRLOCK_DATA_DIR/);
  });

  it('with npx airlock, the example says to run it from this directory whatever the data dir (npx elsewhere fetches another package)', () => {
    const text = startBanner({ ...base, dataDir: '/var/lib/airlock', adminKey: { key: 'ak_admin_x', generated: false, path: '/var/lib/airlock/admin.key' } });
    assert.match(text, /Try it \(in another shell, from this directory\):/);
    assert.match(text, /^ {2}npx airlock deploy hello\.ts --tenant acme$/m);
  });

  it('quotes a data dir the shell would split or expand', () => {
    assert.equal(shellWord('/var/lib/airlock'), '/var/lib/airlock');
    assert.equal(shellWord('/tmp/my data'), `'/tmp/my data'`);
    assert.equal(shellWord(`/tmp/it's $HOME`), `'/tmp/it'\\''s $HOME'`);
    const text = startBanner({ ...base, dataDir: '/tmp/my data' });
    assert.match(text, /export AIRLOCK_DATA_DIR='\/tmp\/my data'/);
  });
});

describe('how the banner runs the CLI', () => {
  const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
  const work = mkdtempSync(join(tmpdir(), 'airlock-banner-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('in the package root, where package.json names this package, npx airlock', () => {
    assert.equal(cliCommand(packageRoot), 'npx airlock');
  });

  it('anywhere else, node and the absolute path of this CLI (npx would fetch another package)', () => {
    assert.equal(cliCommand(work), `node ${CLI}`);
    const otherProject = join(work, 'other');
    mkdirSync(otherProject);
    writeFileSync(join(otherProject, 'package.json'), '{"name":"shop"}');
    assert.equal(cliCommand(otherProject), `node ${CLI}`);
  });

  it('quotes a CLI path the shell would split', () => {
    assert.equal(cliCommand(work, packageRoot, '/opt/my tools/airlock/main.js'), `node '/opt/my tools/airlock/main.js'`);
  });

  it('the example runs the CLI the way it was given', () => {
    const text = startBanner({ ...base, cli: `node '/opt/my tools/airlock/main.js'` });
    assert.match(text, /^ {2}node '\/opt\/my tools\/airlock\/main\.js' deploy hello\.ts --tenant acme$/m);
    assert.match(text, /^ {2}node '\/opt\/my tools\/airlock\/main\.js' invoke acme\/hello --input '\{"name":"world"\}'$/m);
    assert.doesNotMatch(text, /npx/);
  });
});
