// `airlock hooks verify <tenant>/<function>`: with --preset and --secret, makes the webhook refuse
// deliveries without the provider's valid signature; with --off, stops verifying; with neither,
// shows the verification. Prints the secret's name, never a value (the server sends none).
import { integerFlag, parse } from '../args.js';
import type { Client } from '../client.js';
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { onlyOptions, takePositionals, usageError } from '../usage.js';
import { splitTarget } from './invoke.js';

/** What the CLI reads of a verification. */
export const VERIFY = Type.Object({
  preset: Type.String(),
  secret: Type.String(),
  toleranceSeconds: Type.Optional(Type.Integer()),
  header: Type.Optional(Type.String()),
  algorithm: Type.Optional(Type.String()),
  encoding: Type.Optional(Type.String()),
  prefix: Type.Optional(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
type Verify = Static<typeof VERIFY>;

/** The header(s) each preset reads, for the summary line. */
const HEADERS: Record<string, string> = {
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  slack: 'x-slack-signature, x-slack-request-timestamp',
  'standard-webhooks': 'webhook-id, webhook-timestamp, webhook-signature',
};

/** One line: what deliveries must carry and which secret holds the key. */
export function describeVerify(v: Verify): string {
  const header = v.preset === 'hmac' ? `${v.header}: ${v.prefix ?? ''}<${v.encoding} HMAC-${(v.algorithm ?? '').toUpperCase()} of the body>` : HEADERS[v.preset];
  const tolerance = v.toleranceSeconds === undefined ? '' : `, timestamps within ${v.toleranceSeconds} s`;
  return `deliveries must carry a valid ${v.preset} signature (${header}${tolerance}); key: secret ${v.secret}`;
}

const SETTINGS = ['preset', 'secret', 'tolerance-seconds', 'header', 'algorithm', 'encoding', 'prefix'] as const;

export async function hooksVerifyCommand(rest: string[], client: Client): Promise<void> {
  const { values, positionals } = parse(rest, {
    json: { type: 'boolean' },
    off: { type: 'boolean' },
    preset: { type: 'string' },
    secret: { type: 'string' },
    'tolerance-seconds': { type: 'string' },
    header: { type: 'string' },
    algorithm: { type: 'string' },
    encoding: { type: 'string' },
    prefix: { type: 'string' },
  });
  const [target] = takePositionals('hooks', positionals, ['<tenant>/<function>']);
  const { tenant, name } = splitTarget(target, 'hooks');
  const path = `/v1/tenants/${encodeURIComponent(tenant)}/functions/${encodeURIComponent(name)}/webhook/verify`;
  if (values.off === true) {
    onlyOptions('hooks', 'verify --off', values, ['off']);
    await client.request('DELETE', path);
    process.stdout.write(`${tenant}/${name}: signatures are no longer verified (every delivery with the URL's token is stored)\n`);
    return;
  }
  const setting = SETTINGS.some((k) => values[k] !== undefined);
  if (setting && (values.preset === undefined || values.secret === undefined)) {
    throw usageError('hooks', 'hooks verify needs both --preset and --secret to set a verification (or --off, or neither to show it)');
  }
  const verify = setting
    ? await client.read('PUT', path, VERIFY, {
        preset: values.preset,
        secret: values.secret,
        toleranceSeconds: integerFlag('--tolerance-seconds', values['tolerance-seconds']),
        header: values.header,
        algorithm: values.algorithm,
        encoding: values.encoding,
        prefix: values.prefix,
      })
    : await client.read('GET', path, VERIFY);
  if (values.json === true) {
    process.stdout.write(JSON.stringify(verify, null, 2) + '\n');
    return;
  }
  process.stdout.write(`${tenant}/${name}: ${describeVerify(verify)}\n`);
}
