// A function's webhook signature verification: which scheme (a provider preset or a generic
// HMAC), which tenant secret holds the signing key, and the scheme's options. Validated here
// (the API's schema checks shapes; this checks what belongs together) and stored as JSON.
import { AirlockError } from '../../core/errors.js';
import { NAME_PATTERN, NAME_RULE } from '../names.js';

export const PRESETS = ['github', 'stripe', 'slack', 'standard-webhooks', 'hmac'] as const;
export type Preset = (typeof PRESETS)[number];
export const ALGORITHMS = ['sha256', 'sha1', 'sha512'] as const;
export const ENCODINGS = ['hex', 'base64'] as const;

/** Presets whose signature covers a timestamp, refused when further than the tolerance from now. */
export const TIMESTAMPED: ReadonlySet<Preset> = new Set(['stripe', 'slack', 'standard-webhooks']);
/** Largest tolerance that may be set, s (a day). */
export const MAX_TOLERANCE_SECONDS = 86_400;

export interface VerifyConfig {
  preset: Preset;
  /** Name of the tenant secret holding the signing key. */
  secret: string;
  /** Timestamped presets: how far a signed timestamp may be from the server's clock, s. */
  toleranceSeconds?: number;
  /** hmac: the header with the signature (lowercase). */
  header?: string;
  /** hmac: the HMAC's hash. */
  algorithm?: (typeof ALGORITHMS)[number];
  /** hmac: how the MAC is written in the header. */
  encoding?: (typeof ENCODINGS)[number];
  /** hmac: text before the MAC in the header (e.g. "sha1="). */
  prefix?: string;
}

/** A stored configuration. */
export interface VerifyRecord {
  tenant: string;
  function: string;
  config: VerifyConfig;
  createdAt: number;
  updatedAt: number;
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** Headers a signature can never be in: what the transport computes, and what is never kept. */
const NOT_SIGNATURE_HEADERS = new Set(['host', 'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection']);

function invalid(field: string, message: string): AirlockError {
  return new AirlockError('VALIDATION_FAILED', message, { field });
}

/** The configuration as it will be stored; VALIDATION_FAILED naming the field otherwise. */
export function normalizeVerifyConfig(body: VerifyConfig): VerifyConfig {
  const { preset, secret } = body;
  if (!(PRESETS as readonly string[]).includes(preset)) invalidPreset(preset);
  if (!NAME_PATTERN.test(secret)) throw invalid('secret', `secret ${JSON.stringify(secret.slice(0, 80))} is not a secret name: use ${NAME_RULE}`);
  const out: VerifyConfig = { preset, secret };
  if (TIMESTAMPED.has(preset)) {
    out.toleranceSeconds = body.toleranceSeconds ?? 300;
  } else if (body.toleranceSeconds !== undefined) {
    throw invalid('toleranceSeconds', `preset ${preset} signs no timestamp, so toleranceSeconds does not apply; remove it`);
  }
  const hmacOnly = (['header', 'algorithm', 'encoding', 'prefix'] as const).filter((k) => body[k] !== undefined);
  if (preset !== 'hmac') {
    if (hmacOnly.length > 0) {
      throw invalid(hmacOnly[0]!, `${hmacOnly.join(', ')} apply only to preset "hmac" (preset ${preset} has its own header and format); remove them`);
    }
    return out;
  }
  const header = (body.header ?? '').toLowerCase();
  if (!HEADER_NAME.test(header) || NOT_SIGNATURE_HEADERS.has(header)) {
    throw invalid('header', `preset hmac needs header: the name of the header that carries the signature (e.g. "x-shopify-hmac-sha256")`);
  }
  out.header = header;
  out.algorithm = body.algorithm ?? 'sha256';
  out.encoding = body.encoding ?? 'hex';
  if (body.prefix !== undefined && body.prefix !== '') out.prefix = body.prefix;
  return out;
}

function invalidPreset(preset: string): never {
  throw invalid('preset', `preset ${JSON.stringify(String(preset).slice(0, 40))} is unknown: use one of ${PRESETS.join(', ')}`);
}

/** Reads a stored configuration back (JSON written by this module). */
export function parseStoredConfig(json: string, where: string): VerifyConfig {
  const parsed = JSON.parse(json) as unknown;
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as VerifyConfig).preset !== 'string' || typeof (parsed as VerifyConfig).secret !== 'string') {
    throw new AirlockError('INTERNAL', `the stored signature verification of ${where} is unreadable; set it again (PUT .../webhook/verify)`);
  }
  return parsed as VerifyConfig;
}
