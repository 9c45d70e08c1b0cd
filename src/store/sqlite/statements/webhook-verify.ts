// Webhook signature verification settings: read, set (keeping the first createdAt), delete one
// function's (also inside the delete-function transaction).
export const GET_WEBHOOK_VERIFY = `SELECT tenant, function, config, created_at, updated_at FROM webhook_verify WHERE tenant = ? AND function = ?`;

export const UPSERT_WEBHOOK_VERIFY = `
INSERT INTO webhook_verify (tenant, function, config, created_at, updated_at) VALUES (@tenant, @function, @config, @created_at, @updated_at)
ON CONFLICT (tenant, function) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`;

export const DELETE_WEBHOOK_VERIFY = `DELETE FROM webhook_verify WHERE tenant = ? AND function = ?`;
