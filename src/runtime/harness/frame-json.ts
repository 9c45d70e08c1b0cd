// JSON text of the values the harness builds itself for its frames (log entries, an error, a
// fetch request, ready and cancelled), written without ever calling a `toJSON` method: tenant code
// may define one on Object.prototype, Array.prototype or String.prototype, which JSON.stringify
// would call for every object and array in a frame (a run that did so was reported as a protocol
// error). Values are strings, numbers, booleans, null, arrays and plain records of those; a
// record's undefined fields are left out, as JSON.stringify does. Tenant values (results,
// checkpoint states) keep JSON.stringify and its toJSON semantics (answer.ts).
import { isArray, jsonStringify, objectKeys } from './primordials.js';

export function frameJson(value: unknown): string {
  // JSON.stringify looks toJSON up only on objects: a primitive is written as it is.
  if (value === null || typeof value !== 'object') return jsonStringify(value) ?? 'null';
  if (isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + frameJson(value[i]);
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = objectKeys(record);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = record[key];
    if (item === undefined || typeof item === 'function') continue;
    out += (out.length === 1 ? '' : ',') + jsonStringify(key) + ':' + frameJson(item);
  }
  return out + '}';
}
