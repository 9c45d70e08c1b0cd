// The frame channel to the host on fd 3 (a socket the host holds the other end of): each frame is
// a 4-byte big-endian length and that many bytes of UTF-8 JSON (runtime/protocol.ts). Reads whole
// frames out of the stream for the run queue, writes frames, and ends the process when the host
// goes away. Frames from the host are trusted (the host is the boundary); what the harness sends
// is checked by the host like anything else from the sandbox.
import type { Socket as NodeSocket } from 'node:net';
import type { SandboxToHostFrame } from '../protocol.js';
import { frameJson } from './frame-json.js';
import { Socket, bufferAlloc, bufferConcat, bufferFrom, exit, writeSync } from './primordials.js';

const CHANNEL_FD = 3;

let channel: NodeSocket;
let pending: Buffer[] = [];
let pendingBytes = 0;

/** Starts reading frames from the host: `onFrame` gets each frame's body, in order. */
export function openChannel(onFrame: (body: Buffer) => void): void {
  channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
  channel.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= 4) {
      // Concatenate only once a whole frame is there (inputs can be megabytes in many chunks).
      const head = pending[0]!.length >= 4 ? pending[0]! : bufferConcat(pending);
      const length = head.readUInt32BE(0);
      if (pendingBytes < 4 + length) return;
      const all = pending.length === 1 ? pending[0]! : bufferConcat(pending);
      const body = all.subarray(4, 4 + length);
      const rest = all.subarray(4 + length);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      onFrame(body);
    }
  });
  // The host went away: nothing left to do.
  channel.on('end', () => exit(0));
  channel.on('error', () => exit(0));
}

function framed(json: string): Buffer {
  const body = bufferFrom(json, 'utf8');
  const head = bufferAlloc(4);
  head.writeUInt32BE(body.length, 0);
  return bufferConcat([head, body]);
}

/** Queues one frame (JSON text) for the host. */
export function send(json: string): void {
  channel.write(framed(json));
}

export function sendFrame(frame: SandboxToHostFrame): void {
  send(frameJson(frame));
}

/** True while frames sent earlier are still queued (one written now would overtake them). */
export function channelBusy(): boolean {
  return channel.writableLength > 0;
}

/** Writes one frame at once, for the process's last moments (see capture.ts); lost if it cannot be. */
export function sendSync(json: string): void {
  try {
    writeSync(CHANNEL_FD, framed(json));
  } catch {
    // the host is gone, or the channel is full: the frame is lost with the sandbox
  }
}
