// One line of `airlock doctor`'s start checks: which check, whether the server would pass it, and
// what it found (doctor-start-checks.ts runs them; doctor-data-checks.ts has the data dir's own).
export interface StartCheck {
  check: 'data dir' | 'database' | 'key files' | 'listen' | 'cgroup root';
  ok: boolean;
  detail: string;
}
