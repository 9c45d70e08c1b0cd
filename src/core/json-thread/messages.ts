// The messages between the server's event loop and its JSON parser thread.
import type { ErrorCode } from '../errors.js';
import type { ParsedInputBody } from './split.js';

export interface ParseRequest {
  id: number;
  /** The body: its bytes, transferred to the thread (no copy), or JSON text already decoded. */
  body: Uint8Array | string;
  /** AIRLOCK_MAX_JSON_DEPTH: the input is checked against it. */
  maxDepth: number;
}

export type ParseAnswer = { id: number; threadId: number } & (
  | { body: ParsedInputBody }
  | { refusal: { code: ErrorCode; message: string } }
  | { failure: string }
);
