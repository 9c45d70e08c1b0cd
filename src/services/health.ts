// What GET /healthz and the airlock_health_problems gauge report besides "up": the parts of a
// running server that are failing now, each in words an on-call engineer can act on. records:
// the store refuses execution records (a full disk, a damaged file); jobs: claiming background
// work fails, so no job, webhook delivery or scheduled run starts; secrets: sealed values the
// server cannot open (a wrong or missing master key at the start); sandboxes: sandboxes cannot be
// started (sandbox/start-health.ts), so calls that need a new one fail. A load balancer keeps
// sending calls to a degraded server (it still answers them); an alert on the gauge tells someone.
export const HEALTH_CHECKS = ['records', 'jobs', 'secrets', 'sandboxes'] as const;
export type HealthCheck = (typeof HEALTH_CHECKS)[number];

export interface HealthProblem {
  check: HealthCheck;
  problem: string;
}

/** Each check's problem now, or undefined when it is fine. */
export type HealthSources = Record<HealthCheck, () => string | undefined>;

export function healthProblems(sources: HealthSources): HealthProblem[] {
  const problems: HealthProblem[] = [];
  for (const check of HEALTH_CHECKS) {
    const problem = sources[check]();
    if (problem !== undefined) problems.push({ check, problem });
  }
  return problems;
}
