// The user docs keep up with the code: every AIRLOCK_* variable the server's configuration reads
// (found by loading it with an environment that records each name it is asked for, as the
// unknown-setting warning does) is in docs/configuration.md with its default, and every error
// code a client or an operator can meet (src/core/errors.ts) is explained in the README or docs/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(fileURLToPath(new URL(path, root)), 'utf8');
const configurationDoc = read('docs/configuration.md');
const userDocs = [read('README.md'), ...readdirSync(fileURLToPath(new URL('docs/', root))).map((f) => read(`docs/${f}`))].join('\n');

/** Every AIRLOCK_* name loadConfig reads. */
function variablesRead(): string[] {
  const asked = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, key) {
      if (typeof key === 'string') asked.add(key);
      return undefined;
    },
  });
  loadConfig(env);
  return [...asked].filter((name) => name.startsWith('AIRLOCK_')).sort();
}

test('docs/configuration.md has a row for every variable the server reads', () => {
  const names = variablesRead();
  assert.ok(names.length > 50, `found only ${names.length} variables`);
  const missing = names.filter((name) => !configurationDoc.includes(`\`${name}\``));
  assert.deepEqual(missing, [], `add these to docs/configuration.md with their defaults: ${missing.join(', ')}`);
});

test('every error code is explained in the README or docs/', () => {
  const codes = [...read('src/core/errors.ts').matchAll(/^ {2}([A-Z_]+): \d{3},$/gm)].map((m) => m[1]!);
  assert.ok(codes.length > 30, `found only ${codes.length} codes`);
  const missing = codes.filter((code) => !userDocs.includes(code));
  assert.deepEqual(missing, [], `document these codes for users (README, HTTP API): ${missing.join(', ')}`);
});
