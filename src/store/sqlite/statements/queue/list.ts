// A tenant's queue items, newest first (enqueue order), filtered by function, status and
// idempotency key when given, paged by the id of the last item of the previous page (an id that
// names no item of the tenant lists nothing, rather than starting over). Payloads and checkpoints
// (up to megabytes each) are left out: a page of them could be gigabytes, and the list shows
// neither; get() reads one whole item.
const LISTED_COLUMNS = `
SELECT seq, id, tenant, function, lane, 'null' AS payload, idempotency_key, status, attempts, max_attempts, runs, fence,
       run_after, created_at, updated_at, started_at, finished_at, last_error, result, NULL AS checkpoint, checkpoint_at,
       stalled_runs, lease_owner, lease_expires_at
FROM queue_items`;

/** The optional filters and the page cursor, after the WHERE clause's first term. */
const FILTERS = `
  AND (@function IS NULL OR function = @function)
  AND (@status IS NULL OR status = @status)
  AND (@before IS NULL OR seq < (SELECT seq FROM queue_items WHERE tenant = @tenant AND id = @before))`;

export const LIST_QUEUE_ITEMS = `${LISTED_COLUMNS}
WHERE tenant = @tenant${FILTERS}
ORDER BY seq DESC
LIMIT @limit`;

/** The same, for the one item with an idempotency key: read through its unique index. */
export const LIST_QUEUE_ITEM_BY_KEY = `${LISTED_COLUMNS}
WHERE tenant = @tenant AND idempotency_key = @key${FILTERS}
LIMIT @limit`;
