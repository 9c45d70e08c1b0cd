// Enqueue: insert unless (tenant, idempotency_key) is taken, then read the item back by key.
export const INSERT_QUEUE_ITEM = `
INSERT INTO queue_items
  (id, tenant, function, lane, payload, idempotency_key, status, max_attempts, run_after, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
ON CONFLICT DO NOTHING`;

export const FIND_QUEUE_ITEM_BY_KEY = `SELECT * FROM queue_items WHERE tenant = ? AND idempotency_key = ?`;
