// The holders of running items' leases, and ending the leases of holders known to be dead (the
// next claim turns them into crashed attempts, as for any expired lease).
export const RUNNING_OWNERS = `
SELECT DISTINCT lease_owner AS owner FROM queue_items WHERE status = 'running' AND lease_owner IS NOT NULL`;

export const EXPIRE_LEASES_OF = `
UPDATE queue_items SET lease_expires_at = @now
WHERE status = 'running' AND lease_owner = @owner AND lease_expires_at > @now`;
