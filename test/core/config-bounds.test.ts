// Numeric settings have upper bounds where Node or the kernel would refuse the value later (a
// port above 65535, a timer delay above 2^31-1 ms, a uid Node cannot pass, more tasks or open
// files than the kernel allows): loadConfig refuses them with CONFIG_INVALID naming the variable,
// and `airlock server --port 99999` stops with that error, not a stack trace.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { isAirlockError } from '../../src/core/errors.js';
import { runCli } from '../support/process.js';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(isAirlockError(err) && err.code === 'CONFIG_INVALID', `not CONFIG_INVALID: ${String(err)}`);
    return err.message;
  }
  return assert.fail(`accepted ${JSON.stringify(env)}`);
}

describe('configuration refusals', () => {
  it('names every invalid variable in one refusal, in the order they are read', () => {
    let refused: unknown;
    try {
      loadConfig({ AIRLOCK_PORT: '99999', AIRLOCK_POOL_SIZE: 'x', AIRLOCK_LOG_LEVEL: 'loud' });
    } catch (err) {
      refused = err;
    }
    assert.ok(isAirlockError(refused) && refused.code === 'CONFIG_INVALID');
    assert.deepEqual(refused.details?.variables, ['AIRLOCK_PORT', 'AIRLOCK_LOG_LEVEL', 'AIRLOCK_POOL_SIZE']);
    const lines = refused.message.split('\n');
    assert.equal(lines[0], '3 settings are invalid (AIRLOCK_PORT, AIRLOCK_LOG_LEVEL, AIRLOCK_POOL_SIZE):');
    assert.match(lines[1]!, /^ {2}- AIRLOCK_PORT \(--port\) must be an integer from 0 to 65535, not "99999"/);
    assert.match(lines[2]!, /^ {2}- AIRLOCK_LOG_LEVEL must be one of fatal, error, .*, not "loud"; unset it to use the default \(info\)$/);
    assert.match(lines[3]!, /^ {2}- AIRLOCK_POOL_SIZE must be an integer >= 0, not "x"/);
  });

  it('refuses one invalid variable with its own message, as before', () => {
    assert.match(refusal({ AIRLOCK_POOL_SIZE: 'x' }), /^AIRLOCK_POOL_SIZE must be an integer >= 0, not "x"; unset it to use the default/);
  });

  it('refuses AIRLOCK_DATABASE_URL, saying that SQLite in the data dir is what this release supports', () => {
    const message = refusal({ AIRLOCK_DATABASE_URL: 'postgres://db.internal/airlock', AIRLOCK_DATA_DIR: '/srv/airlock' });
    assert.match(message, /^AIRLOCK_DATABASE_URL is set \(a postgres: URL\), but this release supports only SQLite, kept in the data dir \(\/srv\/airlock\/airlock\.db\)/);
    assert.match(message, /Unset AIRLOCK_DATABASE_URL/);
    assert.equal(loadConfig({ AIRLOCK_DATABASE_URL: '' }).databaseUrl, undefined, 'empty means unset');
  });
});

describe('configuration bounds', () => {
  it('accepts every port from 0 to 65535', () => {
    assert.equal(loadConfig({ AIRLOCK_PORT: '0' }).port, 0);
    assert.equal(loadConfig({ AIRLOCK_PORT: '65535' }).port, 65535);
  });

  for (const port of ['65536', '99999', '-1', '80.5', '1e300']) {
    it(`refuses AIRLOCK_PORT=${port}, naming the variable, the --port flag and the range`, () => {
      const message = refusal({ AIRLOCK_PORT: port });
      assert.match(message, /^AIRLOCK_PORT \(--port\) must be an integer from 0 to 65535, not "/);
      assert.match(message, /unset it to use the default \(8080\)/);
    });
  }

  for (const raw of ['1e2', '0x10', '+5', ' 5', '5.0']) {
    it(`takes plain decimal integers only: refuses AIRLOCK_POOL_SIZE=${JSON.stringify(raw)}`, () => {
      assert.match(refusal({ AIRLOCK_POOL_SIZE: raw }), /^AIRLOCK_POOL_SIZE must be an integer >= 0, not /);
    });
  }

  it('refuses default or maximum function limits below what a function may ask for', () => {
    for (const [name, value, min] of [
      ['AIRLOCK_DEFAULT_MEMORY_MIB', '8', 16],
      ['AIRLOCK_DEFAULT_INPUT_BYTES', '1', 2],
      ['AIRLOCK_DEFAULT_RESULT_BYTES', '1', 16],
      ['AIRLOCK_DEFAULT_TIMEOUT_MS', '5', 10],
      ['AIRLOCK_MAX_MEMORY_MIB', '15', 16],
    ] as const) {
      assert.match(refusal({ [name]: value }), new RegExp(`^${name} must be an integer (>= ${min}|from ${min} to \\d+), not "${value}"`), name);
    }
    assert.equal(loadConfig({ AIRLOCK_DEFAULT_MEMORY_MIB: '16', AIRLOCK_DEFAULT_LOG_BYTES: '0' }).defaultLimits.memoryMiB, 16);
  });

  it('refuses a blank pool larger than the sandbox budget that holds it', () => {
    assert.match(
      refusal({ AIRLOCK_POOL_SIZE: '10', AIRLOCK_MAX_SANDBOXES: '3' }),
      /^AIRLOCK_POOL_SIZE \(10\) is above AIRLOCK_MAX_SANDBOXES \(3\), which counts the blank sandboxes too/,
    );
    assert.equal(loadConfig({ AIRLOCK_POOL_SIZE: '3', AIRLOCK_MAX_SANDBOXES: '3' }).pool.blankSize, 3);
  });

  it('refuses a bundle limit below the source limit, saying what to set', () => {
    assert.equal(
      refusal({ AIRLOCK_MAX_SOURCE_BYTES: '1048576', AIRLOCK_MAX_BUNDLE_BYTES: '524288' }),
      'AIRLOCK_MAX_BUNDLE_BYTES (524288) is below AIRLOCK_MAX_SOURCE_BYTES (1048576), but a bundle may always be as large as ' +
        'any other source; raise AIRLOCK_MAX_BUNDLE_BYTES to at least 1048576, lower AIRLOCK_MAX_SOURCE_BYTES, or unset ' +
        'AIRLOCK_MAX_BUNDLE_BYTES (default 5 MiB, or AIRLOCK_MAX_SOURCE_BYTES when that is larger)',
    );
    assert.deepEqual(pick(loadConfig({})), [256 * 1024, 5 * 1024 * 1024], 'the defaults');
    assert.deepEqual(pick(loadConfig({ AIRLOCK_MAX_SOURCE_BYTES: '4096', AIRLOCK_MAX_BUNDLE_BYTES: '4096' })), [4096, 4096], 'equal is fine');
    // A source limit raised above 5 MiB (for bundles, before there was a bundle limit) keeps starting: the bundle limit follows it.
    assert.deepEqual(pick(loadConfig({ AIRLOCK_MAX_SOURCE_BYTES: '8388608' })), [8388608, 8388608]);
    function pick(config: { maxSourceBytes: number; maxBundleBytes: number }): number[] {
      return [config.maxSourceBytes, config.maxBundleBytes];
    }
  });

  it('names the --isolation flag next to AIRLOCK_ISOLATION', () => {
    assert.match(refusal({ AIRLOCK_ISOLATION: 'docker' }), /^AIRLOCK_ISOLATION \(--isolation\) must be one of bwrap, process, not "docker"; unset it to use the default \(bwrap\)$/);
  });

  it('says what an unknown choice may be and how to get the default (AIRLOCK_JOBS, AIRLOCK_SCHEDULES)', () => {
    assert.equal(refusal({ AIRLOCK_JOBS: 'pause' }), 'AIRLOCK_JOBS must be one of on, paused, not "pause"; unset it to use the default (on)');
    assert.equal(refusal({ AIRLOCK_SCHEDULES: 'off' }), 'AIRLOCK_SCHEDULES must be one of on, paused, not "off"; unset it to use the default (on)');
  });

  it('refuses integers JavaScript cannot hold exactly', () => {
    assert.match(refusal({ AIRLOCK_MAX_SOURCE_BYTES: '1e20' }), /^AIRLOCK_MAX_SOURCE_BYTES must be an integer >= 1, not "1e20"/);
    assert.match(refusal({ AIRLOCK_MAX_BUNDLE_BYTES: '1e20' }), /^AIRLOCK_MAX_BUNDLE_BYTES must be an integer >= 1, not "1e20"; unset it to use the default \(5242880\)/);
  });

  // Each becomes a timer's delay: Node fires a longer one after 1 ms instead.
  const timers = [
    'AIRLOCK_SHUTDOWN_GRACE_MS', 'AIRLOCK_RECORD_FLUSH_MS', 'AIRLOCK_QUEUE_WAIT_MS', 'AIRLOCK_JOB_RUN_MS',
    'AIRLOCK_JOB_MAX_RUN_MS', 'AIRLOCK_JOB_POLL_MS', 'AIRLOCK_QUEUE_LEASE_MS',
    'AIRLOCK_SCHEDULE_POLL_MS', 'AIRLOCK_WEBHOOK_MAX_WAIT_MS', 'AIRLOCK_WEBHOOK_COMMIT_MS', 'AIRLOCK_DEFAULT_TIMEOUT_MS',
    'AIRLOCK_MAX_TIMEOUT_MS', 'AIRLOCK_EGRESS_DEFAULT_TIMEOUT_MS', 'AIRLOCK_EGRESS_MAX_TIMEOUT_MS',
  ];
  for (const name of timers) {
    it(`caps ${name} at 2147483647 ms`, () => {
      // AIRLOCK_MAX_* raised too, so a default at the cap is not refused for being above its maximum.
      const env = { AIRLOCK_JOB_MAX_RUN_MS: '2147483647', AIRLOCK_MAX_TIMEOUT_MS: '2147483647', AIRLOCK_EGRESS_MAX_TIMEOUT_MS: '2147483647' };
      loadConfig({ ...env, [name]: '2147483647' });
      assert.match(refusal({ ...env, [name]: '2147483648' }), new RegExp(`^${name} must be an integer from \\d+ to 2147483647, not "2147483648"`));
    });
  }

  it('caps AIRLOCK_SANDBOX_QUEUE_MS so that the give-up wait of a queued call (4 times it) is still a timer Node keeps', () => {
    const cap = Math.floor(2147483647 / 4);
    assert.equal(loadConfig({ AIRLOCK_SANDBOX_QUEUE_MS: String(cap) }).pool.queueBehindMs, cap);
    assert.match(refusal({ AIRLOCK_SANDBOX_QUEUE_MS: String(cap + 1) }), new RegExp(`^AIRLOCK_SANDBOX_QUEUE_MS must be an integer from 0 to ${cap}, not "${cap + 1}"`));
  });

  it('refuses a sandbox uid or gid Node cannot start a process as', () => {
    for (const name of ['AIRLOCK_SANDBOX_UID', 'AIRLOCK_SANDBOX_GID']) {
      assert.match(refusal({ [name]: '5000000000' }), new RegExp(`^${name} must be an integer from 0 to 2147483647`));
    }
  });

  it('refuses more tasks per sandbox than the kernel allows', () => {
    assert.equal(loadConfig({ AIRLOCK_SANDBOX_PIDS: '4194304' }).cgroups.pids, 4_194_304);
    assert.match(refusal({ AIRLOCK_SANDBOX_PIDS: '4194305' }), /^AIRLOCK_SANDBOX_PIDS must be an integer from 16 to 4194304/);
  });

  it('refuses more sandboxes than the process forking them could hold descriptors for', () => {
    assert.equal(loadConfig({ AIRLOCK_MAX_SANDBOXES: '65536' }).pool.maxSandboxes, 65_536);
    assert.match(refusal({ AIRLOCK_MAX_SANDBOXES: '65537' }), /^AIRLOCK_MAX_SANDBOXES must be an integer from 1 to 65536/);
  });

  it("refuses an open-files limit above the kernel's fs.nr_open", () => {
    assert.match(refusal({ AIRLOCK_SANDBOX_NOFILE: '99999999999' }), /^AIRLOCK_SANDBOX_NOFILE must be an integer from 64 to \d+/);
  });
});

describe('a port out of range, to airlock server', () => {
  const work = mkdtempSync(join(tmpdir(), 'airlock-port-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('in AIRLOCK_PORT: CONFIG_INVALID naming it (and --port), before creating the data dir, without a stack trace', async () => {
    const dataDir = join(work, 'data');
    const run = await runCli(['server'], { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_LOG_LEVEL: 'warn', AIRLOCK_PORT: '99999' });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^error CONFIG_INVALID: AIRLOCK_PORT \(--port\) must be an integer from 0 to 65535, not "99999"/);
    assert.doesNotMatch(run.stderr, /RangeError|\n\s+at /);
    assert.equal(existsSync(dataDir), false, 'the data dir was created before the port was checked');
  });

  it('in --port: a usage error (exit 2) naming the flag, before anything starts', async () => {
    const dataDir = join(work, 'data-flag');
    const run = await runCli(['server', '--port', '99999'], { AIRLOCK_DATA_DIR: dataDir, AIRLOCK_LOG_LEVEL: 'warn' });
    assert.deepEqual(run, { code: 2, stdout: '', stderr: '--port must be a whole number from 0 to 65535, got "99999" (too large)\n' });
    assert.equal(existsSync(dataDir), false);
  });
});
