// API key statements. Lookup by hash runs on every request that misses the key cache.
export const INSERT_API_KEY = `INSERT INTO api_keys (id, tenant, hash, created_at, name, prefix) VALUES (?, ?, ?, ?, ?, ?)`;

export const FIND_API_KEY_BY_HASH = `SELECT * FROM api_keys WHERE hash = ?`;

export const LIST_API_KEYS = `SELECT * FROM api_keys WHERE tenant = ? ORDER BY created_at, id`;

export const DELETE_API_KEY = `DELETE FROM api_keys WHERE tenant = ? AND id = ?`;
