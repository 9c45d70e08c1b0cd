// What the fields of an invoke answer and an execution record mean, as /openapi.json describes
// them (schemas.ts): the timing fields, the kind of start and the log lines. README's "HTTP API"
// (Timing) and "Functions" (Logs) say the same at more length; keep them in step.
export const FIELD_DOCS = {
  durationMs:
    "how long the sandbox took to run the call, ms (to the microsecond), on the host's clock: from when the host " +
    'hands the run to the sandbox (or, for a call queued behind another in a busy warm sandbox, from when the run ahead ' +
    'answered) to when the sandbox answers, or the deadline or a crash ends it. It includes loading the module on its ' +
    "first run in that sandbox, the function's own time and sending the input and result; it excludes the wait for " +
    'admission and for a sandbox (startedAt - queuedAt on the execution record), result checks and the HTTP request. ' +
    '0 for a rejected call',
  start: 'warm (a sandbox already bound to the tenant), pool (a pre-booted blank one) or spawn (a new process); null when it never ran',
  queuedAt:
    'when the server took the call, before it waited for an admission slot; for a job run, when its slice was claimed from the queue',
  startedAt:
    'when the call had its admission slot and a sandbox (warm, bound from the pool, or spawned and booted), as it was handed to it: ' +
    'startedAt - queuedAt is the wait for both; null when it never ran (rejected)',
  finishedAt: "when the host had the call's outcome, just before the record was written and the answer sent",
  logTs: 'when the host received the line, epoch ms',
  logLevel:
    'debug, info, warn or error (ctx.log.* and console.*: log and info are info, debug and trace debug); ' +
    'stdout or stderr (process.stdout/stderr.write and raw writes to fd 1/2); warn for the "[logs truncated: …]" line between the first lines and the newest ones kept (it names the logBytes limit)',
  logMsg: 'the text, formatted like console.log, ANSI escapes removed and other control characters except \\n and \\t escaped',
} as const;
