// Less frequent statements on functions: listing a tenant's functions and a function's versions,
// making an existing version the latest again (a rollback) and deleting a function.
export const LIST_FUNCTIONS = `
SELECT f.tenant, f.name, f.latest_version, v.runtime, f.updated_at,
       (SELECT count(*) FROM function_versions c WHERE c.tenant = f.tenant AND c.name = f.name) AS versions
FROM functions f
JOIN function_versions v
  ON v.tenant = f.tenant AND v.name = f.name AND v.version = f.latest_version
WHERE f.tenant = ?
ORDER BY f.name`;

/** A function's versions, newest deploy first, with the settings their hash covers (without their source). */
export const LIST_FUNCTION_VERSIONS = `
SELECT version, runtime, limits, isolation, egress, created_at FROM function_versions
WHERE tenant = ? AND name = ? ORDER BY created_at DESC, version`;

/** Moves the latest pointer to a version the function has; changes nothing when it has no such version. */
export const SET_LATEST_VERSION = `
UPDATE functions SET latest_version = @version, updated_at = @updated_at
WHERE tenant = @tenant AND name = @name
  AND EXISTS (SELECT 1 FROM function_versions v WHERE v.tenant = @tenant AND v.name = @name AND v.version = @version)`;

/** Whether the function has this version. */
export const HAS_FUNCTION_VERSION = `
SELECT 1 AS found FROM function_versions WHERE tenant = ? AND name = ? AND version = ?`;

export const DELETE_FUNCTION = `DELETE FROM functions WHERE tenant = ? AND name = ?`;

export const DELETE_FUNCTION_VERSIONS = `DELETE FROM function_versions WHERE tenant = ? AND name = ?`;
