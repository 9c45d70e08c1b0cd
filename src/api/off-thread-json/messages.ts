// The messages between the server's event loop and its request-body parser thread.
import type { ErrorCode } from '../../core/errors.js';
import type { ParsedInputBody } from './split.js';

export interface ParseRequest {
  id: number;
  /** The body's bytes, transferred to the thread (no copy). */
  bytes: Uint8Array;
  /** AIRLOCK_MAX_JSON_DEPTH: the input is checked against it. */
  maxDepth: number;
}

export type ParseAnswer = { id: number; threadId: number } & (
  | { body: ParsedInputBody }
  | { refusal: { code: ErrorCode; message: string } }
  | { failure: string }
);
