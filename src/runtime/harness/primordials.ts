// What the harness uses of JavaScript's and Node's built-ins, captured when the harness boots,
// before any tenant code runs, so tenant monkey-patching (JSON.stringify = …, util.format = …,
// Buffer.from = …) cannot reach the harness. Every harness module takes these from here: a
// named import from a node: module would be read again at each call in the bundle (it compiles
// to a property access on the module object, which tenant code can reach and change).
import { AsyncLocalStorage as NodeAsyncLocalStorage } from 'node:async_hooks';
import { writeSync as nodeWriteSync } from 'node:fs';
import { Socket as NodeSocket } from 'node:net';
import { dirname as nodeDirname } from 'node:path';
import { pathToFileURL as nodePathToFileURL } from 'node:url';
import { format as nodeFormat, inspect as nodeInspect } from 'node:util';

export const AsyncLocalStorage = NodeAsyncLocalStorage;
export const writeSync = nodeWriteSync;
export const Socket = NodeSocket;
export const dirname = nodeDirname;
export const pathToFileURL = nodePathToFileURL;
export const format = nodeFormat;
export const inspect = nodeInspect;

export const jsonParse = JSON.parse;
export const jsonStringify = JSON.stringify;
export const byteLength = Buffer.byteLength;
export const bufferFrom = Buffer.from;
export const bufferAlloc = Buffer.allocUnsafe;
export const bufferConcat = Buffer.concat;
export const now = Date.now;
export const setTimer = setTimeout;
export const clearTimer = clearTimeout;
export const exit = process.exit.bind(process);
export const stringOf = String;
export const nativeFetch = globalThis.fetch;
export const TypeErrorClass = TypeError;
export const captureStackTrace = Error.captureStackTrace;
export const functionSource = Function.prototype.toString;
export const reflectApply = Reflect.apply;
export const freeze = Object.freeze;
export const isArray = Array.isArray;
export const objectKeys = Object.keys;
export const defineProperty = Object.defineProperty;
export const numberOf = Number;
