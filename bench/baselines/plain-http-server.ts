// Baseline: a plain Node `http` server answering the same JSON an invoke returns, with no
// sandbox, no auth and no store. Prints its port on stdout.
import http from 'node:http';

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const input = (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { input?: unknown }).input;
    const body = JSON.stringify({ executionId: 'ex_baseline', status: 'succeeded', result: { echo: input }, logs: [], durationMs: 0, start: 'warm' });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
