// The spawner process: a small Node process whose only job is to fork sandboxes for the server.
// fork() costs time in proportion to the forking process's memory; done here, it never stalls
// the server's event loop. It hands each sandbox's stdout, stderr and frame socket to the server
// over IPC and reports exits. When the server goes away (even by SIGKILL: the IPC channel
// closes, or the spawner finds itself re-parented) the spawner kills every sandbox it started,
// then exits.
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { spawnForLaunch } from './direct.js';
import { HANDED_FDS } from './messages.js';
import type { FromSpawner, ToSpawner } from './messages.js';
import { SpawnerInputs } from './shared-inputs.js';

const children = new Map<number, ChildProcess>();
/** Inputs the server sends once and names in its launches (shared-inputs.ts). */
const inputs = new SpawnerInputs();

/** A send that failed: the server is gone ('disconnect' cleans up). A callback, or Node emits it as an unhandled 'error'. */
const ignoreSendError = (): void => {};

function send(message: FromSpawner, handle?: Socket): void {
  if (!process.connected) return;
  try {
    if (handle) process.send!(message, handle, ignoreSendError);
    else process.send!(message, ignoreSendError);
  } catch {
    // the server is gone: 'disconnect' cleans up
  }
}

function launch(msg: Extract<ToSpawner, { op: 'launch' }>): void {
  const { id } = msg;
  let started;
  try {
    started = spawnForLaunch(inputs.resolve(msg.req));
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
  if (msg && msg.op === 'input') inputs.keep(msg);
  else if (msg && msg.op === 'launch') launch(msg);
});

/** Kills every sandbox this spawner started, then exits: the server is gone. */
function endAll(): void {
  for (const child of children.values()) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(0);
}

process.on('disconnect', endAll);

// 'disconnect' is not enough: Node postpones it until the server has acknowledged every socket
// handed over, so a server killed (SIGKILL) between a hand-over and its acknowledgement leaves
// it pending forever. Being re-parented is the other sign that the server is gone.
// The server passes its pid: read here, process.ppid would already be 1 if the server died while
// this process was still loading.
const serverPid = Number(process.argv[2]) || process.ppid;
if (process.ppid !== serverPid) endAll();
const ORPHAN_CHECK_MS = 500;
setInterval(() => {
  if (process.ppid !== serverPid) endAll();
}, ORPHAN_CHECK_MS).unref();
