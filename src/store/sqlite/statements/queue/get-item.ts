// One queue item by tenant and id.
export const GET_QUEUE_ITEM = `SELECT * FROM queue_items WHERE tenant = ? AND id = ?`;
