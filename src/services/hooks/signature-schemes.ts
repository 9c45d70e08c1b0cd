// Provider signature schemes for webhook deliveries, each as its provider documents it: GitHub
// (x-hub-signature-256), Stripe (stripe-signature), Slack (x-slack-signature), Standard Webhooks
// (webhook-signature) and a generic HMAC over the body. Signatures are computed over the body as
// delivered once content-decoded (providers sign the plain payload). Comparisons are of MAC bytes
// of the full digest length, in constant time; a refusal names the header and what was wrong with
// it, never the expected value.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AirlockError } from '../../core/errors.js';
import type { VerifyConfig } from './verify-config.js';

/** What a scheme reads of a delivery: its headers (lowercase names) and its decoded body. */
export interface SignedRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export type RefusalReason = 'missing' | 'malformed' | 'mismatch' | 'expired';

const PROVIDER: Record<VerifyConfig['preset'], string> = {
  github: 'GitHub',
  stripe: 'Stripe',
  slack: 'Slack',
  'standard-webhooks': 'Standard Webhooks',
  hmac: 'HMAC',
};

function refuse(config: VerifyConfig, header: string, reason: RefusalReason, what: string): AirlockError {
  const fix =
    reason === 'mismatch'
      ? 'the sender signs with another secret than the one configured, or the body changed on the way'
      : reason === 'expired'
        ? 'a delayed or replayed delivery, or a clock off: the sender retries with a new timestamp'
        : 'the sender must sign its deliveries (set the signing secret at the provider)';
  return new AirlockError(
    'WEBHOOK_SIGNATURE_INVALID',
    `signature check failed: ${what} (this webhook verifies ${PROVIDER[config.preset]} signatures; ${fix}); the delivery was not stored`,
    { header, reason },
  );
}

/** One header's value; a repeated header counts as malformed (Node joins them with ", "). */
function header(req: SignedRequest, config: VerifyConfig, name: string): string {
  const value = req.headers[name];
  if (value === undefined || value === '') throw refuse(config, name, 'missing', `no ${name} header`);
  if (Array.isArray(value)) throw refuse(config, name, 'malformed', `${name} is given more than once`);
  return value;
}

function hmac(algorithm: string, key: Buffer, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** True when `candidate` holds exactly the expected MAC (constant time for equal lengths; lengths are public). */
function same(expected: Buffer, candidate: Buffer | undefined): boolean {
  return candidate !== undefined && candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of a hex or base64 text, or undefined when it is not exactly `bytes` of that encoding. */
function decodeMac(text: string, encoding: 'hex' | 'base64', bytes: number): Buffer | undefined {
  const valid = encoding === 'hex' ? text.length === bytes * 2 && HEX.test(text) : BASE64.test(text);
  if (!valid) return undefined;
  const out = Buffer.from(text, encoding);
  return out.length === bytes ? out : undefined;
}

const DIGEST_BYTES: Record<string, number> = { sha1: 20, sha256: 32, sha512: 64 };

/** A timestamp header in whole seconds, within `toleranceSeconds` of now either way. */
function checkTimestamp(config: VerifyConfig, name: string, text: string, nowSeconds: number): void {
  if (!/^\d{1,12}$/.test(text)) throw refuse(config, name, 'malformed', `the timestamp in ${name} is not whole seconds since 1970`);
  const tolerance = config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const skew = Math.abs(nowSeconds - Number(text));
  if (skew > tolerance) {
    throw refuse(config, name, 'expired', `the timestamp in ${name} is ${skew} s from the server's clock, more than the ${tolerance} s tolerance`);
  }
}

/** Stripe, Slack and Standard Webhooks refuse timestamps further than this from now, s. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** GitHub: `x-hub-signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. */
function github(config: VerifyConfig, key: Buffer, req: SignedRequest): void {
  const name = 'x-hub-signature-256';
  const value = header(req, config, name);
  if (!value.startsWith('sha256=')) throw refuse(config, name, 'malformed', `${name} is not of the form sha256=<64 hex digits>`);
  const given = decodeMac(value.slice('sha256='.length), 'hex', 32);
  if (given === undefined) throw refuse(config, name, 'malformed', `${name} is not of the form sha256=<64 hex digits>`);
  if (!same(hmac('sha256', key, req.body), given)) throw refuse(config, name, 'mismatch', `${name} does not match the body`);
}

/**
 * Stripe: `stripe-signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…][,v0=…]`.
 * Any v1 may match (several while a secret is rolled); other schemes (v0) are ignored.
 */
function stripe(config: VerifyConfig, key: Buffer, req: SignedRequest, nowSeconds: number): void {
  const name = 'stripe-signature';
  const value = header(req, config, name);
  let timestamp: string | undefined;
  const v1: string[] = [];
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const [k, v] = [item.slice(0, eq).trim(), item.slice(eq + 1).trim()];
    if (k === 't') {
      if (timestamp !== undefined) throw refuse(config, name, 'malformed', `${name} has more than one t=`);
      timestamp = v;
    } else if (k === 'v1') v1.push(v);
  }
  if (timestamp === undefined) throw refuse(config, name, 'malformed', `${name} has no timestamp (t=)`);
  if (v1.length === 0) throw refuse(config, name, 'malformed', `${name} has no v1= signature`);
  checkTimestamp(config, name, timestamp, nowSeconds);
  const expected = hmac('sha256', key, `${timestamp}.`, req.body);
  // Every candidate is compared (no early exit), so the time does not say which one matched.
  let ok = false;
  for (const candidate of v1) ok = same(expected, decodeMac(candidate, 'hex', 32)) || ok;
  if (!ok) throw refuse(config, name, 'mismatch', `no v1 signature in ${name} matches the body and timestamp`);
}

/** Slack: `x-slack-signature: v0=<hex HMAC-SHA256(secret, "v0:<x-slack-request-timestamp>:<body>")>`. */
function slack(config: VerifyConfig, key: Buffer, req: SignedRequest, nowSeconds: number): void {
  const name = 'x-slack-signature';
  const stampName = 'x-slack-request-timestamp';
  const value = header(req, config, name);
  const stamp = header(req, config, stampName);
  if (!value.startsWith('v0=')) throw refuse(config, name, 'malformed', `${name} is not of the form v0=<64 hex digits>`);
  const given = decodeMac(value.slice(3), 'hex', 32);
  if (given === undefined) throw refuse(config, name, 'malformed', `${name} is not of the form v0=<64 hex digits>`);
  checkTimestamp(config, stampName, stamp, nowSeconds);
  if (!same(hmac('sha256', key, `v0:${stamp}:`, req.body), given)) {
    throw refuse(config, name, 'mismatch', `${name} does not match the body and ${stampName}`);
  }
}

/**
 * Standard Webhooks (standardwebhooks.com, also Svix): `webhook-signature: v1,<base64
 * HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")>`, several space-separated; the key
 * is the base64 after the secret's `whsec_` prefix. Signatures of other versions (v1a) are ignored.
 */
function standardWebhooks(config: VerifyConfig, key: Buffer, req: SignedRequest, nowSeconds: number): void {
  const name = 'webhook-signature';
  const id = header(req, config, 'webhook-id');
  const stamp = header(req, config, 'webhook-timestamp');
  const value = header(req, config, name);
  checkTimestamp(config, 'webhook-timestamp', stamp, nowSeconds);
  const expected = hmac('sha256', key, `${id}.${stamp}.`, req.body);
  let seen = 0;
  let ok = false;
  for (const entry of value.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    seen++;
    ok = same(expected, decodeMac(entry.slice(comma + 1), 'base64', 32)) || ok;
  }
  if (seen === 0) throw refuse(config, name, 'malformed', `${name} has no v1,<base64> signature`);
  if (!ok) throw refuse(config, name, 'mismatch', `no v1 signature in ${name} matches webhook-id, webhook-timestamp and the body`);
}

/** Generic: `<header>: [prefix]<hex|base64 HMAC-<algorithm>(secret, body)>` (Shopify: base64 sha256, no prefix). */
function generic(config: VerifyConfig, key: Buffer, req: SignedRequest): void {
  const name = config.header ?? '';
  const algorithm = config.algorithm ?? 'sha256';
  const encoding = config.encoding ?? 'hex';
  const prefix = config.prefix ?? '';
  const value = header(req, config, name);
  const shape = `${prefix}<${encoding} HMAC-${algorithm.toUpperCase()}>`;
  if (!value.startsWith(prefix)) throw refuse(config, name, 'malformed', `${name} is not of the form ${shape}`);
  const given = decodeMac(value.slice(prefix.length), encoding, DIGEST_BYTES[algorithm]!);
  if (given === undefined) throw refuse(config, name, 'malformed', `${name} is not of the form ${shape}`);
  if (!same(hmac(algorithm, key, req.body), given)) throw refuse(config, name, 'mismatch', `${name} does not match the body`);
}

/** Throws WEBHOOK_SIGNATURE_INVALID unless the delivery is signed with `key` as `config` says. */
export function checkSignature(config: VerifyConfig, key: Buffer, req: SignedRequest, nowSeconds: number): void {
  switch (config.preset) {
    case 'github':
      return github(config, key, req);
    case 'stripe':
      return stripe(config, key, req, nowSeconds);
    case 'slack':
      return slack(config, key, req, nowSeconds);
    case 'standard-webhooks':
      return standardWebhooks(config, key, req, nowSeconds);
    case 'hmac':
      return generic(config, key, req);
  }
}

/**
 * The HMAC key of a secret's value: its UTF-8 bytes, except for Standard Webhooks, whose secrets
 * are `whsec_` + base64 (the prefix is optional, as in the reference libraries). Undefined when the
 * value is not a key of the scheme (an empty or non-base64 Standard Webhooks secret).
 */
export function signingKey(config: VerifyConfig, value: string): Buffer | undefined {
  if (config.preset !== 'standard-webhooks') return Buffer.from(value, 'utf8');
  const text = value.startsWith('whsec_') ? value.slice('whsec_'.length) : value;
  if (!BASE64.test(text)) return undefined;
  const key = Buffer.from(text, 'base64');
  return key.length === 0 ? undefined : key;
}
