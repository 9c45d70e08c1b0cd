// `airlock hooks show|rotate|off|verify <tenant>/<function>`: prints the function's webhook URL (the
// one to give the third party) and, with --json, the token and path; rotate issues a new token
// (turning a webhook that is off back on); off deletes the token (deliveries are refused).
// The URL alone goes to stdout (scripts capture it); a signature verification is said on stderr
// (and is `verify` in --json). verify: hooks-verify.ts.
import { parse, UsageError } from '../args.js';
import type { Client } from '../client.js';
import { Type } from '@sinclair/typebox';
import { Nullable } from '../answer.js';
import { takePositionals, unknownSubcommand, usageError } from '../usage.js';
import { describeVerify, hooksVerifyCommand, VERIFY } from './hooks-verify.js';
import { splitTarget } from './invoke.js';

/** What the CLI reads of a webhook. */
const WEBHOOK = Type.Object({
  token: Nullable(Type.String()),
  path: Nullable(Type.String()),
  url: Type.Optional(Nullable(Type.String())),
  createdAt: Type.String(),
  verify: Type.Optional(VERIFY),
});

export async function hooksCommand(argv: string[], client: Client): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'verify') return hooksVerifyCommand(rest, client);
  if (sub !== 'show' && sub !== 'rotate' && sub !== 'off') throw unknownSubcommand('hooks', sub);
  const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
  const [target] = takePositionals('hooks', positionals, ['<tenant>/<function>']);
  const { tenant, name } = splitTarget(target, 'hooks');
  const base = `/v1/tenants/${encodeURIComponent(tenant)}/functions/${encodeURIComponent(name)}/webhook`;
  if (sub === 'off') {
    if (values.json === true) throw usageError('hooks', 'hooks off prints no JSON (it answers 204); leave out --json');
    await client.request('DELETE', base);
    process.stderr.write(`${tenant}/${name}: webhook off; deliveries to its URL are refused (turn it on with a new URL: airlock hooks rotate ${tenant}/${name})\n`);
    return;
  }
  const hook = sub === 'show' ? await client.read('GET', base, WEBHOOK) : await client.read('POST', `${base}/rotate`, WEBHOOK);
  // The server's own full URL (AIRLOCK_PUBLIC_URL) when it has one, else this client's base.
  const url = hook.url !== undefined ? hook.url : hook.path === null ? null : client.url + hook.path;
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...hook, url }, null, 2) + '\n');
    return;
  }
  if (hook.verify !== undefined) process.stderr.write(`${tenant}/${name}: ${describeVerify(hook.verify)}\n`);
  if (url === null) {
    throw new UsageError(
      `the token of ${tenant}/${name} was sealed with a master key the server no longer has; give the server that key in AIRLOCK_SECRET_KEY_PREVIOUS (docs/secrets.md) to keep the URL, or run "airlock hooks rotate ${tenant}/${name}" for a new one`,
    );
  }
  process.stdout.write(url + '\n');
}
