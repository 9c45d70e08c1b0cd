// Pids ceiling per sandbox on the real kernel: a bounded fork bomb inside the sandbox hits EAGAIN
// at pids.max, the group never holds more tasks than that, and the host still forks freely.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { request } from '../support.js';
import { skipReason, v1GroupDir, withCgroups } from './support.js';

const skip = skipReason(true);
const PIDS = 32;

describe('cgroup pids ceiling (real kernel)', { skip }, () => {
  it('a fork bomb inside the sandbox hits EAGAIN at pids.max; the host is unaffected', async () => {
    await withCgroups(async ({ tracker }) => {
      const sb = await tracker.spawn();
      // Bounded: at most 200 children, stops after 5 failures; the children are kept alive.
      const code = `import { spawn } from 'node:child_process';
        const kids = [];
        export default async () => {
          const codes = {};
          for (let i = 0; i < 200; i++) {
            const child = spawn('/usr/bin/sleep', ['60'], { stdio: 'ignore' });
            const r = await new Promise((res) => { child.once('spawn', () => res('ok')); child.once('error', (e) => res(e.code)); });
            codes[r] = (codes[r] ?? 0) + 1;
            if (r === 'ok') kids.push(child); else if (codes[r] >= 5) break;
          }
          return codes;
        };`;
      const outcome = await sb.run(request(code, { timeoutMs: 30_000 }));
      assert.equal(outcome.status, 'succeeded', JSON.stringify(outcome.error));
      const codes = outcome.result as Record<string, number>;
      assert.equal(codes.EAGAIN, 5, `fork failed with EAGAIN: ${JSON.stringify(codes)}`);
      assert.ok((codes.ok ?? 0) > 0 && (codes.ok ?? 0) < PIDS, `some children started, fewer than pids.max: ${JSON.stringify(codes)}`);
      const dir = v1GroupDir(sb.pid!, 'pids');
      assert.equal(readFileSync(`${dir}/pids.max`, 'utf8').trim(), String(PIDS));
      assert.ok(Number(readFileSync(`${dir}/pids.current`, 'utf8')) <= PIDS);
      assert.ok(Number(readFileSync(`${dir}/pids.events`, 'utf8').match(/max (\d+)/)?.[1]) >= 5, 'the kernel counted the refusals');
      // While the sandbox sits at its ceiling, the host forks as usual.
      assert.equal(execFileSync('/bin/echo', ['host-ok'], { encoding: 'utf8' }).trim(), 'host-ok');
    }, { cgroups: { pids: PIDS } });
  });
});
