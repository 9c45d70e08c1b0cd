// Raw HTTP over a TCP socket, for requests fetch will not send as they are (malformed request
// lines, oversized headers) and for a request sent in two parts: the answer parsed back.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Parses the first answer of what a server sent on a connection. */
export function parseAnswer(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? NaN);
  return { status, headers: head, body: end < 0 ? '' : text.slice(end + 4) };
}

/** Opens a connection to `url`'s host and port. */
export function openRaw(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends on `socket` until it closes the connection (or `timeoutMs` passes). */
export function readUntilClosed(socket: Socket, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; got: ${text.slice(0, 200)}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.once('error', () => undefined); // a reset after the answer still ends with 'close'
  });
}

/** Sends `request` as is on a new connection and parses what comes back before the server closes it. */
export async function rawRequest(url: string, request: string): Promise<RawAnswer> {
  const socket = await openRaw(url);
  const answer = readUntilClosed(socket);
  socket.write(request);
  return parseAnswer(await answer);
}
