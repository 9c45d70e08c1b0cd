// A tenant's queue items, newest first (enqueue order), filtered by function and status when
// given, paged by the id of the last item of the previous page.
export const LIST_QUEUE_ITEMS = `
SELECT * FROM queue_items
WHERE tenant = @tenant
  AND (@function IS NULL OR function = @function)
  AND (@status IS NULL OR status = @status)
  AND seq < COALESCE((SELECT seq FROM queue_items WHERE tenant = @tenant AND id = @before), 9223372036854775807)
ORDER BY seq DESC
LIMIT @limit`;
