// A rig for CLI tests: a work dir, and a stand-in server on 127.0.0.1 that records every request
// (method, url, body) and answers with what the test's `answer` returns (500 with no body unless
// told), so a test can prove what the CLI sent, or that it sent nothing. `env` points the CLI at
// it. Call at a test file's top level: it registers the before/after hooks that start and stop it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

export interface RecordedRequest {
  method: string;
  url: string;
  /** The body as text ('' when none). */
  body: string;
}

export interface Answer {
  status: number;
  json?: unknown;
}

export interface CliRig {
  /** A temp dir for the test's files, removed at the end. */
  work: string;
  /** Environment for runCli: AIRLOCK_URL of the stand-in server (set once it listens) and a key. */
  env: { AIRLOCK_URL: string; AIRLOCK_KEY: string };
  /** Every request received, oldest first; a test may empty it. */
  requests: RecordedRequest[];
}

export function cliRig(name: string, answer: (req: RecordedRequest) => Answer = () => ({ status: 500 })): CliRig {
  const rig: CliRig = {
    work: mkdtempSync(join(tmpdir(), `airlock-cli-${name}-`)),
    env: { AIRLOCK_URL: '', AIRLOCK_KEY: 'ak_unused' },
    requests: [],
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', body };
      rig.requests.push(recorded);
      const { status, json } = answer(recorded);
      if (json === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    rig.env.AIRLOCK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(rig.work, { recursive: true, force: true });
  });
  return rig;
}
