// How many slices of each lane the job worker may start: background work up to the job
// concurrency, interactive work (webhook deliveries) also in the extra room beyond it, never more
// than both together; while the pacer yields, each lane runs one slice at a time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { laneRoom, noDeliveryRoom } from '../../../src/services/jobs/lane-room.js';
import { loadConfig } from '../../../src/core/config.js';

const run = (interactive: number, background: number) => ({ interactive, background });

test('background takes the job concurrency; interactive work may also use the extra room', () => {
  assert.deepEqual(laneRoom(6, 2, run(0, 0), false), { max: 8, laneMax: { interactive: 8, background: 6 } });
  assert.deepEqual(laneRoom(6, 2, run(0, 6), false), { max: 2, laneMax: { interactive: 8, background: 0 } }, 'six long syncs: two deliveries still fit');
  assert.deepEqual(laneRoom(2, 2, run(0, 2), false), { max: 2, laneMax: { interactive: 4, background: 0 } }, 'a lower concurrency keeps the extra room too');
  assert.deepEqual(laneRoom(6, 2, run(8, 0), false), { max: 0, laneMax: { interactive: 0, background: 6 } }, 'never more than concurrency + extra');
  assert.deepEqual(laneRoom(3, 0, run(0, 3), false), { max: 0, laneMax: { interactive: 3, background: 0 } }, 'no extra room: deliveries share the concurrency');
});

test('while the pacer yields, each lane starts a slice only while it runs none', () => {
  assert.deepEqual(laneRoom(6, 2, run(0, 6), true), { max: 1, laneMax: { interactive: 1, background: 0 } }, 'a delivery beside the six syncs');
  assert.deepEqual(laneRoom(6, 2, run(1, 6), true), { max: 0, laneMax: { interactive: 0, background: 0 } });
  assert.deepEqual(laneRoom(6, 2, run(0, 0), true), { max: 2, laneMax: { interactive: 1, background: 1 } });
  assert.deepEqual(laneRoom(1, 0, run(0, 0), true), { max: 1, laneMax: { interactive: 1, background: 1 } }, 'still within concurrency + extra');
});

test('the start warns when AIRLOCK_CONCURRENCY leaves deliveries no slices of their own, and only then', () => {
  const warning = (env: Record<string, string>): string | undefined => {
    const config = loadConfig(env);
    return noDeliveryRoom(config.jobs, config.queue.interactiveReserved, config.admission.globalConcurrency);
  };
  assert.equal(warning({}), undefined);
  assert.equal(warning({ AIRLOCK_QUEUE_INTERACTIVE_RESERVED: '0', AIRLOCK_CONCURRENCY: '4' }), undefined, 'no reserve asked for');
  assert.equal(
    warning({ AIRLOCK_CONCURRENCY: '4' }),
    'webhook deliveries have no slices of their own on this server: AIRLOCK_CONCURRENCY (4) leaves no admission slot beside ' +
      'AIRLOCK_JOB_CONCURRENCY (3) job slices, so long jobs can hold deliveries back; raise AIRLOCK_CONCURRENCY or lower AIRLOCK_JOB_CONCURRENCY',
  );
});
