// The ordered list of all migrations. Append new ones; never edit or reorder released ones.
import { migration001 } from './001_init.js';
import { migration002 } from './002_security.js';
import { migration003 } from './003_queue.js';
import { migration004 } from './004_jobs.js';
import { migration005 } from './005_schedules.js';
import { migration006 } from './006_webhooks.js';
import { migration007 } from './007_stalled_runs.js';
import { migration008 } from './008_executions_by_job.js';
import { migration009 } from './009_key_names.js';
import { migration010 } from './010_key_prefixes.js';
import { migration011 } from './011_queue_counts.js';
import { migration012 } from './012_webhook_verify.js';
import { migration013 } from './013_run_records.js';
import { migration014 } from './014_unsucceeded_executions.js';
import { migration015 } from './015_queue_backlog.js';
import type { Migration } from './types.js';

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007, migration008, migration009, migration010, migration011, migration012, migration013, migration014, migration015];
