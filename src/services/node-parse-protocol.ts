// Messages between the server and the V8 parse thread (node-parse.ts ↔ node-parse-worker.ts).

export interface ParseRequest {
  id: number;
  code: string;
}

export interface ParseAnswer {
  id: number;
  /** V8's SyntaxError (or RangeError, for code nested too deeply) with its decorated stack. */
  error?: { name: string; message: string; stack: string };
}

/** The file name V8 prints above the error's source line. */
export const MODULE_NAME = 'function.js';
