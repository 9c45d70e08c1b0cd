// The queue's prepared statements, one connection's worth, with the parameter shapes they take.
import type { Database as Db } from 'better-sqlite3';
import { CANCEL_QUEUE_ITEM } from '../statements/queue/cancel.js';
import { ADD_TO_BACKLOG, TENANT_BACKLOG } from '../statements/queue/backlog.js';
import { QUEUE_COUNTS } from '../statements/queue/counts.js';
import { FIND_QUEUE_ITEM_BY_KEY, INSERT_QUEUE_ITEM } from '../statements/queue/enqueue.js';
import { GET_QUEUE_ITEM } from '../statements/queue/get-item.js';
import { LIST_QUEUE_ITEM_BY_KEY, LIST_QUEUE_ITEMS } from '../statements/queue/list.js';
import { PURGE_FINISHED_ITEMS, PURGE_WINDOW_END } from '../statements/queue/purge.js';
import { REQUEUE_QUEUE_ITEM } from '../statements/queue/requeue.js';
import { RUNNING_OF_OWNER, RUNNING_OWNERS } from '../statements/queue/owners.js';
import {
  COMPLETE,
  CONTINUE,
  CONTINUE_WITH_CHECKPOINT,
  GET_LEASED,
  HEARTBEAT,
  MARK_RUN,
  SAVE_CHECKPOINT,
} from '../statements/queue/lease.js';
import { prepareClaim } from './claim.js';
import type { QueueItemRow } from './rows.js';

export type Guard = [string, string, number, number];
/** id, tenant, function, lane, payload, idempotency key, max attempts, run after, created, updated. */
export type InsertParams = [string, string, string, string, string, string | null, number, number, number, number];
interface ListParams {
  tenant: string;
  function: string | null;
  status: string | null;
  before: string | null;
  limit: number;
}
interface KeyedListParams extends ListParams {
  key: string;
}
export interface RequeueParams {
  tenant: string;
  id: string;
  now: number;
  payload: string | null;
  maxAttempts: number | null;
}
export interface PurgeParams {
  after: string;
  end: string;
  idFloor: string;
  cutoff: number;
}
export function prepareAll(db: Db) {
  return {
    insert: db.prepare<InsertParams>(INSERT_QUEUE_ITEM),
    byKey: db.prepare<[string, string], QueueItemRow>(FIND_QUEUE_ITEM_BY_KEY),
    get: db.prepare<[string, string], QueueItemRow>(GET_QUEUE_ITEM),
    list: db.prepare<[ListParams], QueueItemRow>(LIST_QUEUE_ITEMS),
    listByKey: db.prepare<[KeyedListParams], QueueItemRow>(LIST_QUEUE_ITEM_BY_KEY),
    leased: db.prepare<Guard, QueueItemRow>(GET_LEASED),
    heartbeat: db.prepare<[number, number, ...Guard], { lease_expires_at: number }>(HEARTBEAT),
    markRun: db.prepare<[string, number, ...Guard], { seq: number }>(MARK_RUN),
    checkpoint: db.prepare<[string, number, number, ...Guard], { checkpoint_at: number }>(SAVE_CHECKPOINT),
    complete: db.prepare<[string, number, number, ...Guard], QueueItemRow>(COMPLETE),
    continue: db.prepare<[number, number, number, ...Guard], QueueItemRow>(CONTINUE),
    continueWith: db.prepare<[number, number, string, number, ...Guard], QueueItemRow>(CONTINUE_WITH_CHECKPOINT),
    cancel: db.prepare<[number, number, string, string], QueueItemRow>(CANCEL_QUEUE_ITEM),
    requeue: db.prepare<[RequeueParams], QueueItemRow>(REQUEUE_QUEUE_ITEM),
    runningOwners: db.prepare<[], { owner: string }>(RUNNING_OWNERS),
    runningOf: db.prepare<[string], QueueItemRow>(RUNNING_OF_OWNER),
    counts: db.prepare<[], { queued: number; running: number }>(QUEUE_COUNTS),
    backlog: db.prepare<[string], { n: number }>(TENANT_BACKLOG),
    addToBacklog: db.prepare<[string, number]>(ADD_TO_BACKLOG),
    claim: prepareClaim(db),
    purgeWindowEnd: db.prepare<[{ after: string; idFloor: string; offset: number }], { id: string }>(PURGE_WINDOW_END),
    purgeFinished: db.prepare<[PurgeParams]>(PURGE_FINISHED_ITEMS),
  };
}

export type Prepared = ReturnType<typeof prepareAll>;
