// Secret statements. The sealed column holds ciphertext only; listings never read it.
export const GET_SECRET_CREATED_AT = `SELECT created_at FROM secrets WHERE tenant = ? AND name = ?`;

export const UPSERT_SECRET = `
INSERT INTO secrets (tenant, name, hosts, sealed, created_at, updated_at)
VALUES (@tenant, @name, @hosts, @sealed, @created_at, @updated_at)
ON CONFLICT (tenant, name) DO UPDATE SET
  hosts = excluded.hosts, sealed = excluded.sealed, updated_at = excluded.updated_at`;

export const GET_SECRET = `SELECT * FROM secrets WHERE tenant = ? AND name = ?`;

export const LIST_SECRETS = `
SELECT tenant, name, hosts, created_at, updated_at FROM secrets WHERE tenant = ? ORDER BY name`;

export const COUNT_SECRETS = `SELECT count(*) AS n FROM secrets WHERE tenant = ?`;

export const DELETE_SECRET = `DELETE FROM secrets WHERE tenant = ? AND name = ?`;

export const ALL_SECRETS = `SELECT * FROM secrets ORDER BY tenant, name`;

/** Key rotation: the same value sealed again, only if nobody changed it since it was read. */
export const RESEAL_SECRET = `UPDATE secrets SET sealed = ? WHERE tenant = ? AND name = ? AND sealed = ?`;
