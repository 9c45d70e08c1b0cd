// A server that is not root runs its sandboxes as its own uid, the owner of the data dir's keys
// and database: the unprivileged-uid layer is not in force then, and a server that requires it
// refuses to start, saying why and what to do; so does one whose cgroups cannot be set up as that
// user. (Run here with setpriv as uid 65534.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, expectStartRefused } from '../support/process.js';

const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

/**
 * Why this machine cannot run the test, or false: root to switch users, a checkout that user can
 * read (a checkout under a private directory, e.g. mktemp -d, is not), and bwrap usable by it.
 */
function cannotRun(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to start the server as another user';
  try {
    execFileSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'test', '-r', CLI], { stdio: 'ignore' });
  } catch {
    return `uid 65534 cannot read ${CLI} (the checkout is under a directory only root may enter)`;
  }
  try {
    execFileSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'bwrap', '--unshare-all', '--ro-bind', '/', '/', 'true'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'bwrap cannot start a sandbox here as a user that is not root (unprivileged user namespaces are off)';
  }
}

describe('a server that is not root', { skip: cannotRun() }, () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'airlock-nonroot-'));
    chownSync(dataDir, 65534, 65534);
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('does not count its sandboxes as an unprivileged uid, and refuses to start when that layer is required', async () => {
    const printed = await expectStartRefused(
      { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_CGROUPS: 'off', AIRLOCK_REQUIRED_LAYERS: 'namespaces,unprivileged-uid,seccomp' },
      AS_NOBODY,
    );
    assert.match(printed, /unprivileged-uid/);
    assert.match(printed, /the server is not root, so sandboxes run as its own uid 65534, the owner of the data dir's keys and database/);
    assert.match(printed, /run the server as root/);
  });

  it('says why its cgroups could not be set up (not only that the test sandbox had none), where the layer is required', async () => {
    const printed = await expectStartRefused(
      { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_REQUIRED_LAYERS: 'namespaces,seccomp,cgroups', AIRLOCK_CGROUP_ROOT: `airlock-nonroot-${process.pid}` },
      AS_NOBODY,
    );
    assert.match(printed, /cgroups/);
    assert.match(printed, /Run the server as root or in a delegated cgroup subtree/);
    assert.doesNotMatch(printed, /the test sandbox was not placed in a cgroup with limits/);
  });
});

