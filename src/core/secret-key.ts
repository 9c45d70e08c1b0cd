// The secrets master key's text format: 32 bytes written as 64 hex digits or as base64
// (standard or URL-safe, padding optional). Shared by the env variable and the key file.
import { AirlockError } from './errors.js';

export const SECRET_KEY_BYTES = 32;

export const SECRET_KEY_HOWTO =
  'make one with `openssl rand -base64 32` or ' +
  "`node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64'))\"`";

const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]{43}=?$/;

/** Decodes a 32-byte key; anything else is CONFIG_INVALID naming `source` and how to make a key. */
export function parseSecretKey(raw: string, source: string): Buffer {
  const text = raw.trim();
  let key: Buffer | undefined;
  if (HEX.test(text)) key = Buffer.from(text, 'hex');
  else if (BASE64.test(text)) key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key === undefined || key.length !== SECRET_KEY_BYTES) {
    throw new AirlockError(
      'CONFIG_INVALID',
      `${source} is not a 32-byte key written as base64 or 64 hex digits; ${SECRET_KEY_HOWTO}`,
    );
  }
  return key;
}
