// Less frequent statements on functions: listing a tenant's functions and deleting one.
export const LIST_FUNCTIONS = `
SELECT f.tenant, f.name, f.latest_version, v.runtime, f.updated_at,
       (SELECT count(*) FROM function_versions c WHERE c.tenant = f.tenant AND c.name = f.name) AS versions
FROM functions f
JOIN function_versions v
  ON v.tenant = f.tenant AND v.name = f.name AND v.version = f.latest_version
WHERE f.tenant = ?
ORDER BY f.name`;

/** A function's versions, newest deploy first (without their source). */
export const LIST_FUNCTION_VERSIONS = `
SELECT version, runtime, created_at FROM function_versions WHERE tenant = ? AND name = ? ORDER BY created_at DESC, version`;

export const DELETE_FUNCTION = `DELETE FROM functions WHERE tenant = ? AND name = ?`;

export const DELETE_FUNCTION_VERSIONS = `DELETE FROM function_versions WHERE tenant = ? AND name = ?`;
