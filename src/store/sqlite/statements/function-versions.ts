// Hot statements on function versions: deploy (insert + move the latest pointer) and reads, and
// finding the versions a prefix of a hash names.
export const INSERT_FUNCTION_VERSION = `
INSERT INTO function_versions (tenant, name, version, runtime, source, code, limits, isolation, egress, created_at)
VALUES (@tenant, @name, @version, @runtime, @source, @code, @limits, @isolation, @egress, @created_at)
ON CONFLICT (tenant, name, version) DO NOTHING`;

export const UPSERT_FUNCTION = `
INSERT INTO functions (tenant, name, latest_version, updated_at)
VALUES (@tenant, @name, @version, @updated_at)
ON CONFLICT (tenant, name) DO UPDATE SET
  latest_version = excluded.latest_version,
  updated_at = excluded.updated_at`;

export const GET_LATEST_VERSION_ID = `
SELECT latest_version FROM functions WHERE tenant = ? AND name = ?`;

export const GET_LATEST_FUNCTION = `
SELECT v.* FROM functions f
JOIN function_versions v
  ON v.tenant = f.tenant AND v.name = f.name AND v.version = f.latest_version
WHERE f.tenant = ? AND f.name = ?`;

export const GET_FUNCTION_VERSION = `
SELECT * FROM function_versions WHERE tenant = ? AND name = ? AND version = ?`;

/**
 * The versions of a function whose hash starts with a prefix, in order: a range of the primary
 * key, from the prefix (@from) up to the prefix with its last character raised by one (@to).
 */
export const FIND_VERSIONS_BY_PREFIX = `
SELECT version FROM function_versions
WHERE tenant = @tenant AND name = @name AND version >= @from AND version < @to
ORDER BY version
LIMIT @max`;
