// Webhook tokens: read one function's, issue one if it has none, replace it (rotation), delete it
// with its function; read them all and seal them again (master key rotation).
export const GET_WEBHOOK = `SELECT tenant, function, token_hash, sealed, created_at FROM webhooks WHERE tenant = ? AND function = ?`;

export const INSERT_WEBHOOK = `
INSERT INTO webhooks (tenant, function, token_hash, sealed, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (tenant, function) DO NOTHING`;

export const REPLACE_WEBHOOK = `
UPDATE webhooks SET token_hash = ?, sealed = ?, created_at = ? WHERE tenant = ? AND function = ?`;

export const DELETE_WEBHOOK = `DELETE FROM webhooks WHERE tenant = ? AND function = ?`;

export const ALL_WEBHOOKS = `SELECT tenant, function, token_hash, sealed, created_at FROM webhooks ORDER BY tenant, function`;

/** Key rotation: the same token sealed again, only if it was not rotated since it was read. */
export const RESEAL_WEBHOOK = `UPDATE webhooks SET sealed = ? WHERE tenant = ? AND function = ? AND sealed = ?`;
