// The CLI piped into a reader that stops early (`airlock executions acme | head -1`): it stops
// quietly with exit 0 instead of crashing with "Error: write EPIPE", for tables and JSON alike.
// Output written to a full disk (/dev/full) still fails, with one line saying so and exit 1.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { cliRig } from '../support/cli-rig.js';
import { CLI } from '../support/process.js';

// Far more output than a pipe holds (64 KiB), so the CLI is still writing when `head` exits.
const ROWS = 5000;
const row = (i: number) => ({ id: `id_${i}`, function: 'hello', status: 'succeeded', updatedAt: '2026-01-01T00:00:00.000Z' });
const { env } = cliRig('broken-pipe', (req) => {
  if (req.url.startsWith('/v1/tenants/acme/executions')) {
    const executions = Array.from({ length: ROWS }, (_, i) => ({ ...row(i), tenant: 'acme', start: 'warm', durationMs: 1.5, finishedAt: '2026-01-01T00:00:00.000Z' }));
    return { status: 200, json: { executions, next: null } };
  }
  if (req.url.startsWith('/v1/tenants/acme/jobs')) {
    return { status: 200, json: { jobs: Array.from({ length: ROWS }, (_, i) => ({ ...row(i), attempts: 0, runs: 1 })), next: null } };
  }
  return { status: 500 };
});

interface Run {
  stdout: string;
  stderr: string;
}

/** Runs `airlock <args> | head -n 1` in bash; stderr gets the CLI's own stderr and then its exit status. */
function pipedIntoHead(args: string[]): Promise<Run> {
  const script = '"$0" "$@" | head -n 1; echo "exit ${PIPESTATUS[0]}" >&2';
  const child = spawn('bash', ['-c', script, process.execPath, CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', () => resolve({ stdout, stderr })));
}

describe('output to a reader that goes away', () => {
  it('airlock executions <tenant> | head -1 prints the header and exits 0, quietly', async () => {
    const r = await pipedIntoHead(['executions', 'acme']);
    assert.match(r.stdout, /^ID\s+FUNCTION\s+STATUS\s+ERROR\s+START\s+MS\s+FINISHED\n$/);
    assert.equal(r.stderr, 'exit 0\n');
  });

  it('airlock jobs list <tenant> | head -1 exits 0, quietly', async () => {
    const r = await pipedIntoHead(['jobs', 'list', 'acme']);
    assert.match(r.stdout, /^ID\s+FUNCTION\s+STATUS\s+ATTEMPTS\s+RUNS\s+UPDATED\n$/);
    assert.equal(r.stderr, 'exit 0\n');
  });

  it('--json output cut short exits 0, quietly', async () => {
    const r = await pipedIntoHead(['executions', 'acme', '--json']);
    assert.equal(r.stdout, '{\n');
    assert.equal(r.stderr, 'exit 0\n');
  });

  it('output that cannot be written for another reason (a full disk) fails with exit 1 and says why', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [CLI, 'executions', 'acme'], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', full, 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 1);
      assert.equal(stderr, 'error WRITE_FAILED: cannot write the output (ENOSPC)\n');
    } finally {
      closeSync(full);
    }
  });
});
