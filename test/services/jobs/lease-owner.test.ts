// Lease owner names and the judgement "that holder is dead": only a process of this machine's
// boot and pid namespace whose pid is free (or reused by a later process) is judged gone;
// anything else (another boot, another namespace, an old-style name) is left to expire.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { leaseOwnerName, ownerIsGoneHere } from '../../../src/services/jobs/lease-owner.js';

describe('lease owners', () => {
  const mine = leaseOwnerName();
  const [prefix, bootId, pidNs, pid, started] = mine.split(':');

  it('names this process by boot id, pid namespace, pid and start time, and judges it alive', () => {
    assert.equal(prefix, 'w1');
    assert.equal(Number(pid), process.pid);
    assert.match(started ?? '', /^\d+$/);
    assert.notEqual(leaseOwnerName(), mine, 'each worker gets a name of its own');
    assert.equal(ownerIsGoneHere(mine), false);
  });

  it('judges gone a process of this machine whose pid is free, or taken by a later process', () => {
    const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = child.stdout.trim();
    assert.equal(ownerIsGoneHere([prefix, bootId, pidNs, deadPid, '12345', 'x'].join(':'), () => undefined), true, 'pid free');
    assert.equal(ownerIsGoneHere([prefix, bootId, pidNs, pid, '1', 'x'].join(':')), true, 'our pid, but not our start time: reused');
  });

  it('leaves alone what it cannot judge from here', () => {
    const other = (i: number, value: string) => mine.split(':').map((part, j) => (j === i ? value : part)).join(':');
    assert.equal(ownerIsGoneHere(other(1, 'another-boot'), () => undefined), false, 'another boot or machine');
    assert.equal(ownerIsGoneHere(other(2, '1'), () => undefined), false, 'another pid namespace (a container)');
    assert.equal(ownerIsGoneHere('worker-3f1c', () => undefined), false, 'a name without an identity');
    assert.equal(ownerIsGoneHere('w1:broken', () => undefined), false);
  });
});
