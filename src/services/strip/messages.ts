// Messages between the event loop and the type-stripping thread (thread.ts, worker.ts).

export interface StripRequest {
  id: number;
  source: string;
}

/**
 * `code`: the stripped JavaScript; `thrown`: amaro's parse error (a string, as amaro throws it);
 * `trap`: swc's WebAssembly stack ran out (a RuntimeError's message); `failure`: anything else.
 */
export type StripAnswer =
  | { id: number; code: string }
  | { id: number; thrown: string }
  | { id: number; trap: string }
  | { id: number; failure: string };
