// The messages between the server's event loop and its JSON parser thread.
import type { ErrorCode } from '../errors.js';
import type { ReadSandboxFrame } from './sandbox-frame.js';
import type { ParsedInputBody } from './split.js';

/** A large request body (or stored job payload) to parse and split. */
export interface ParseRequest {
  id: number;
  kind: 'body';
  /** The body: its bytes, transferred to the thread (no copy), or JSON text already decoded. */
  body: Uint8Array | string;
  /** AIRLOCK_MAX_JSON_DEPTH: the input is checked against it. */
  maxDepth: number;
}

/** A large frame a sandbox sent, to parse (and, for a done frame, to check its result). */
export interface FrameRequest {
  id: number;
  kind: 'frame';
  /** The frame's body, transferred to the thread. */
  body: Uint8Array;
  /** The run's limits.maxResultDepth. */
  maxResultDepth: number;
}

export type ThreadRequest = ParseRequest | FrameRequest;

export type ParseAnswer = { id: number; threadId: number } & (
  | { body: ParsedInputBody }
  | { frame: ReadSandboxFrame }
  | { refusal: { code: ErrorCode; message: string } }
  | { failure: string }
);
