// The rule for tenant and function names (and secret and schedule names): lowercase letters,
// digits, '-' and '_', starting with a letter or digit, at most 63 characters. Safe in URLs, file
// names, cgroup names and log lines. Here in core because configuration checks tenant names too
// (AIRLOCK_TENANT_CONCURRENCY_OVERRIDES); services/names.ts validates names with it.

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const NAME_RULE =
  "lowercase letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters";
