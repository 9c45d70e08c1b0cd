// Request and response schemas of a webhook's signature verification (docs/webhooks.md,
// "Verifying signatures"), and the conversion of the stored settings to their JSON shape.
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { ALGORITHMS, ENCODINGS, MAX_TOLERANCE_SECONDS, PRESETS } from '../services/hooks/verify-config.js';
import type { VerifyView as StoredVerifyView } from '../services/hooks/verifier.js';
import { NAME_PATTERN } from '../services/names.js';

/** A string enum as {type, enum} (no anyOf: see StringEnum in schemas.ts). */
function Enum<const T extends readonly string[]>(values: T, description: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });
}

const fields = {
  preset: Enum(PRESETS, 'the signature scheme: github, stripe, slack, standard-webhooks, or hmac (any other provider: header, algorithm, encoding, prefix)'),
  secret: Type.String({ pattern: NAME_PATTERN.source, description: 'name of the tenant secret holding the signing key; it must have no hosts (a signing key)' }),
  toleranceSeconds: Type.Integer({
    minimum: 1,
    maximum: MAX_TOLERANCE_SECONDS,
    description: 'stripe, slack, standard-webhooks: most seconds between the signed timestamp and the server clock, either way (default 300)',
  }),
  header: Type.String({ minLength: 1, maxLength: 100, description: 'hmac: the header carrying the signature, e.g. x-shopify-hmac-sha256' }),
  algorithm: Enum(ALGORITHMS, 'hmac: the hash of the HMAC (default sha256)'),
  encoding: Enum(ENCODINGS, 'hmac: how the MAC is written in the header (default hex)'),
  prefix: Type.String({ maxLength: 64, description: 'hmac: text before the MAC in the header, e.g. "sha256="' }),
};

export const VerifyBody = Type.Object(
  {
    preset: fields.preset,
    secret: fields.secret,
    toleranceSeconds: Type.Optional(fields.toleranceSeconds),
    header: Type.Optional(fields.header),
    algorithm: Type.Optional(fields.algorithm),
    encoding: Type.Optional(fields.encoding),
    prefix: Type.Optional(fields.prefix),
  },
  { additionalProperties: false },
);
export type VerifyBody = Static<typeof VerifyBody>;

export const VerifyView = Type.Object(
  {
    preset: fields.preset,
    secret: Type.String({ description: 'name of the secret holding the signing key (never its value)' }),
    toleranceSeconds: Type.Optional(Type.Integer()),
    header: Type.Optional(Type.String()),
    algorithm: Type.Optional(fields.algorithm),
    encoding: Type.Optional(fields.encoding),
    prefix: Type.Optional(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: "deliveries must carry the provider's valid signature (401 WEBHOOK_SIGNATURE_INVALID otherwise); docs/webhooks.md" },
);

const iso = (ms: number): string => new Date(ms).toISOString();

export function verifyView(v: StoredVerifyView) {
  return { ...v, createdAt: iso(v.createdAt), updatedAt: iso(v.updatedAt) };
}
