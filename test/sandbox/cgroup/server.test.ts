// End to end over HTTP on the real kernel: a server started with AIRLOCK_CGROUPS=on records the
// cgroups layer on executions, reports a Buffer bomb as `oom`, and removes its groups on stop; a
// second server on the same AIRLOCK_CGROUP_ROOT warns that each server needs its own.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirlock } from '../../../src/app.js';
import { loadConfig } from '../../../src/core/config.js';
import { createLogger } from '../../../src/core/logger.js';
import { describe, it } from 'node:test';
import { cgroupStatus } from '../../../src/sandbox/cgroup/index.js';
import { captureLog } from '../../support/log-capture.js';
import { startTestServer } from '../../support/server.js';
import { pollUntil, skipReason } from './support.js';

const skip = skipReason();

describe('cgroups through the server (real kernel)', { skip }, () => {
  it('invoking a Buffer bomb answers status oom with the cgroups layer recorded', async () => {
    const root = `airlock-test-${process.pid}-http`;
    const server = await startTestServer({ AIRLOCK_CGROUPS: 'on', AIRLOCK_CGROUP_ROOT: root });
    const groups = cgroupStatus({ mode: 'on', root, pids: 128, cpus: 1, tenantWeight: 100 }).groups ?? [];
    assert.ok(groups.length > 0 && groups.every((dir) => existsSync(dir)), 'the server created its groups');
    try {
      const code =
        'export default async () => { const keep = []; for (let i = 0; i < 40; i++) keep.push(Buffer.alloc(10 * 1024 * 1024, 1)); return keep.length; };';
      const put = await server.request('PUT', '/v1/tenants/acme/functions/bomb', { code, limits: { memoryMiB: 64, timeoutMs: 30_000 } });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const ok = await server.request('PUT', '/v1/tenants/acme/functions/ok', { code: 'export default () => "fine"' });
      assert.equal(ok.status, 201);
      const fine = await server.request('POST', '/v1/tenants/acme/functions/ok/invoke', { input: null });
      assert.equal(fine.body.status, 'succeeded');
      const res = await server.request('POST', '/v1/tenants/acme/functions/bomb/invoke', { input: null });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'oom', JSON.stringify(res.body));
      const record = await server.request('GET', `/v1/tenants/acme/executions/${res.body.executionId}`);
      assert.ok((record.body.layers as string[]).includes('cgroups'), JSON.stringify(record.body.layers));
    } finally {
      await server.close();
    }
    for (const dir of groups) assert.equal(existsSync(dir), false, `${dir} removed on stop`);
  });

  it('a server that fails to start leaves no cgroup behind', async () => {
    const root = `airlock-test-${process.pid}-failed`;
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cg-'));
    // The store refuses a database URL (Postgres is not there yet): startup fails after the cgroups
    // exist. loadConfig refuses one before that, so it is set here as a caller building a config might.
    const config = {
      ...loadConfig({ AIRLOCK_DATA_DIR: dir, AIRLOCK_PORT: '0', AIRLOCK_LOG_LEVEL: 'silent', AIRLOCK_CGROUPS: 'on', AIRLOCK_CGROUP_ROOT: root }),
      databaseUrl: 'postgres://127.0.0.1:1/none',
    };
    const groups = cgroupStatus(config.cgroups).groups ?? [];
    assert.ok(groups.length > 0);
    try {
      await assert.rejects(startAirlock(config, createLogger('silent')), /AIRLOCK_DATABASE_URL is set/);
      for (const dir of groups) assert.equal(existsSync(dir), false, `${dir} removed after the failed start`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a start refused after the store opened (a database from a newer Airlock) leaves no cgroup behind', async () => {
    const root = `airlock-test-${process.pid}-newer`;
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cg-'));
    const db = new Database(join(dir, 'airlock.db'));
    db.exec('CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    db.prepare('INSERT INTO schema_migrations VALUES (999, ?, 0)').run('from-the-future');
    db.close();
    const config = loadConfig({
      AIRLOCK_DATA_DIR: dir, AIRLOCK_PORT: '0', AIRLOCK_LOG_LEVEL: 'silent', AIRLOCK_CGROUPS: 'on', AIRLOCK_CGROUP_ROOT: root,
    });
    const groups = cgroupStatus(config.cgroups).groups ?? [];
    assert.ok(groups.length > 0);
    try {
      await assert.rejects(startAirlock(config, createLogger('silent')), /written by a newer Airlock/);
      for (const group of groups) assert.equal(existsSync(group), false, `${group} removed after the failed start`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second server on the same AIRLOCK_CGROUP_ROOT warns that each server on a host needs its own', async () => {
    const root = `airlock-test-${process.pid}-shared`;
    const env = { AIRLOCK_CGROUPS: 'on', AIRLOCK_CGROUP_ROOT: root, AIRLOCK_POOL_SIZE: '1' };
    const warning = (entries: { level: number; msg: string }[]) => entries.find((e) => /^AIRLOCK_CGROUP_ROOT=/.test(e.msg));
    const firstLogs = captureLog();
    const first = await startTestServer(env, {}, firstLogs.logger); // a data dir of its own
    try {
      assert.equal(warning(firstLogs.lines()), undefined, 'control: a server alone on its root does not warn');
      // The first server's blank sandbox sits in <root>/_pool/sb-… once it is offered.
      await pollUntil('a blank sandbox of the first server', () => first.airlock.pool.stats().blank, (n) => n >= 1);
      const logs = captureLog();
      const second = await startTestServer(env, {}, logs.logger);
      try {
        const line = warning(logs.lines());
        assert.ok(line !== undefined, JSON.stringify(logs.lines().map((e) => e.msg)));
        assert.equal(line.level, 40, 'warn level');
        assert.match(line.msg, new RegExp(`^AIRLOCK_CGROUP_ROOT=${root}: found 1 cgroup below it that still holds processes, and left them alone`));
        assert.match(line.msg, /another Airlock server on this host uses the same root/);
        assert.match(line.msg, /Each server on a host needs its own AIRLOCK_CGROUP_ROOT/);
        const { root: named, busy } = line as unknown as { root: string; busy: string[] };
        assert.equal(named, root);
        assert.ok(busy.length === 1 && busy[0]!.includes(`/${root}/_pool/sb-`), JSON.stringify(busy));
        assert.equal(first.airlock.pool.stats().blank, 1, "the first server's sandbox was left alone");
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
    const groups = cgroupStatus({ mode: 'on', root, pids: 128, cpus: 1, tenantWeight: 100 }).groups ?? [];
    for (const dir of groups) assert.equal(existsSync(dir), false, `${dir} removed once both stopped`);
  });
});
