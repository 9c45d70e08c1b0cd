// Schemas of the key lookup (POST /v1/keys/lookup): an operator holding a leaked key string
// learns which key it is, without the key ever appearing in a URL or a log.
import { Type } from '@sinclair/typebox';

/** A string or null, without `anyOf` in a response schema (see NullableString in schemas.ts). */
const nullable = (options: { description?: string; format?: string } = {}) => Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });

export const KeyLookupBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 512, description: 'the whole key as found (surrounding whitespace is ignored)' }),
  },
  { additionalProperties: false },
);

export const KeyLookupView = Type.Object({
  kind: Type.Unsafe<'tenant' | 'admin'>({
    type: 'string',
    enum: ['tenant', 'admin'],
    description: 'admin: the server\'s admin key (change AIRLOCK_ADMIN_KEY or <data dir>/admin.key and restart); tenant: a tenant key',
  }),
  previous: Type.Optional(
    Type.Boolean({ description: 'admin keys only: true for a former admin key still accepted through AIRLOCK_ADMIN_KEY_PREVIOUS (remove it there and restart)' }),
  ),
  id: nullable({ description: 'the key id (revoke it with DELETE /v1/tenants/{tenant}/keys/{id}); null for the admin key' }),
  tenant: nullable(),
  name: nullable({ description: 'what the key is for, as named at creation' }),
  prefix: nullable({ description: 'the key\'s first characters as listings show them; null for keys made before prefixes were kept' }),
  createdAt: nullable({ format: 'date-time' }),
});
