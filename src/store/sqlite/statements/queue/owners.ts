// The holders of running items' leases, and the running items of one holder (a worker known to be
// dead: each of its runs becomes a crashed attempt at once, SERVER_GONE, instead of waiting for
// its lease to run out).
export const RUNNING_OWNERS = `
SELECT DISTINCT lease_owner AS owner FROM queue_items WHERE status = 'running' AND lease_owner IS NOT NULL`;

export const RUNNING_OF_OWNER = `
SELECT * FROM queue_items WHERE status = 'running' AND lease_owner = ?`;
