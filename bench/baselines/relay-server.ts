// Baseline: the cost of one process hop and nothing else. A plain Node `http` server hands each
// request's input to ONE child Node process over a pipe (newline-delimited JSON, many calls in
// flight, answers matched by id) and answers with what the child sent back. No sandbox, no auth,
// no store, no limits: the fastest any design that runs the function in another process can be
// on this machine, for comparing Airlock's warm path with. Prints its port on stdout.
import { spawn } from 'node:child_process';
import http from 'node:http';

// The child: echoes each call's input, answering everything one read brought in one write.
const CHILD = `
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let out = '';
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const call = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    out += JSON.stringify({ id: call.id, result: { echo: call.input } }) + '\\n';
  }
  if (out) process.stdout.write(out);
});
process.stdin.on('end', () => process.exit(0));
`;

const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
const waiting = new Map<number, (result: unknown) => void>();
let nextId = 0;
let answers = '';
child.stdout.setEncoding('utf8');
child.stdout.on('data', (d: string) => {
  answers += d;
  for (let i = answers.indexOf('\n'); i >= 0; i = answers.indexOf('\n')) {
    const answer = JSON.parse(answers.slice(0, i)) as { id: number; result: unknown };
    answers = answers.slice(i + 1);
    const resolve = waiting.get(answer.id);
    waiting.delete(answer.id);
    resolve?.(answer.result);
  }
});

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const input = (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { input?: unknown }).input;
    const id = nextId++;
    waiting.set(id, (result) => {
      const body = JSON.stringify({ executionId: `ex_${id}`, status: 'succeeded', result, logs: [], durationMs: 0, start: 'warm' });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    child.stdin.write(JSON.stringify({ id, input }) + '\n');
  });
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  child.stdin.end();
  server.close(() => process.exit(0));
});
