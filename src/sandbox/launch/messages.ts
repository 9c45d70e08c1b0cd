// IPC messages between the server and its spawner process (Node's 'advanced' serialization, so
// Buffers travel as bytes). Socket handles for fds 1, 2 and 3 ride on `stdio` messages. Inputs
// that come with every launch travel once, as `input` messages (shared-inputs.ts).
import type { LaunchRequest } from './types.js';

/** One launch input on the wire: its bytes, or the number of an `input` message sent before. */
export type WireInput = { fd: number; data: Buffer } | { fd: number; key: number };

export type WireLaunchRequest = Omit<LaunchRequest, 'inputs'> & { inputs: WireInput[] };

export type InputMessage = { op: 'input'; key: number; data: Buffer };

export type ToSpawner = { op: 'launch'; id: number; req: WireLaunchRequest } | InputMessage;

export type FromSpawner =
  | { op: 'launched'; id: number; pid: number }
  | { op: 'failed'; id: number; message: string }
  | { op: 'stdio'; id: number; fd: 1 | 2 | 3 }
  | { op: 'collected'; id: number; fd: number; text: string }
  | { op: 'error'; id: number; message: string }
  | { op: 'exit'; id: number; code: number | null; signal: string | null };

/** The fds whose sockets the spawner hands to the server, in this order. */
export const HANDED_FDS = [1, 2, 3] as const;
