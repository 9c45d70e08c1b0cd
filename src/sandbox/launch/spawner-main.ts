// The spawner process: a small Node process whose only job is to fork sandboxes for the server.
// fork() costs time in proportion to the forking process's memory; done here, it never stalls
// the server's event loop. It hands each sandbox's stdout, stderr and frame socket to the server
// over IPC and reports exits. When the server goes away (even by SIGKILL) the IPC channel
// closes and the spawner kills every sandbox it started, then exits.
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { spawnForLaunch } from './direct.js';
import { HANDED_FDS } from './messages.js';
import type { FromSpawner, ToSpawner } from './messages.js';

const children = new Map<number, ChildProcess>();

function send(message: FromSpawner, handle?: Socket): void {
  if (!process.connected) return;
  try {
    if (handle) process.send!(message, handle);
    else process.send!(message);
  } catch {
    // the server is gone: 'disconnect' cleans up
  }
}

function launch(msg: Extract<ToSpawner, { op: 'launch' }>): void {
  const { id } = msg;
  let started;
  try {
    started = spawnForLaunch(msg.req);
  } catch (err) {
    send({ op: 'failed', id, message: (err as Error).message });
    return;
  }
  const { child, collected } = started;
  if (child.pid === undefined) {
    child.once('error', (err) => send({ op: 'failed', id, message: err.message }));
    return;
  }
  children.set(id, child);
  send({ op: 'launched', id, pid: child.pid });
  for (const fd of HANDED_FDS) send({ op: 'stdio', id, fd }, child.stdio[fd] as Socket);
  for (const [fd, text] of collected) void text.then((t) => send({ op: 'collected', id, fd, text: t }));
  child.on('error', (err) => send({ op: 'error', id, message: err.message }));
  child.once('exit', (code, signal) => {
    children.delete(id);
    send({ op: 'exit', id, code, signal });
  });
}

process.on('message', (msg: ToSpawner) => {
  if (msg && msg.op === 'launch') launch(msg);
});

process.on('disconnect', () => {
  for (const child of children.values()) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(0);
});
