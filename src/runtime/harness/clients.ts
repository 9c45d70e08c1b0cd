// The capabilities a run may be granted, brokered by the host: ctx.fetch (the fetch client,
// runtime/fetch-client.mts) and a job's ctx.checkpoint (runtime/checkpoint-client.mts). Each is a
// module copied into the sandbox beside the harness and imported the first time a run needs it,
// so sandboxes that never need one never pay for loading it. Runs without an egress grant get
// Node's fetch wrapped so that its failure says how to grant egress.
import type { CheckpointClient } from '../checkpoint-client.mjs';
import type { FetchClient } from '../fetch-client.mjs';
import type { CheckpointedFrame, FetchedFrame } from '../protocol.js';
import { strictJson } from './answer.js';
import { send } from './channel.js';
import { safeMessage } from './errors.js';
import { frameJson } from './frame-json.js';
import { siblingUrl } from './paths.js';
import { TypeErrorClass, bufferFrom, byteLength, freeze, jsonParse, jsonStringify, nativeFetch } from './primordials.js';

/**
 * globalThis.fetch of a run without an egress grant: Node's own, which can only fail (the sandbox
 * has no network), with a failure that says why and how to grant egress instead of a bare
 * "fetch failed" or ECONNREFUSED. Runs granted egress get the brokered fetch (fetch-client.mts).
 */
const ungrantedFetch: typeof fetch = async (input, init) => {
  try {
    return await nativeFetch(input, init);
  } catch (err) {
    if (!(err instanceof TypeErrorClass)) throw err;
    throw new TypeErrorClass(
      `${err.message}: this function has no egress grant, so its sandbox has no network; deploy it with an ` +
        'egress policy naming the hosts it may reach (airlock deploy … --egress @policy.json, see docs/egress.md) ' +
        'and call ctx.fetch or fetch',
      { cause: err },
    );
  }
};

/** Makes globalThis.fetch the ungranted one (at boot). */
export function installUngrantedFetch(): void {
  globalThis.fetch = ungrantedFetch;
}

// Request and Response are lazy getters that load Node's whole fetch implementation (~50 ms):
// keep the getters (tenant code cannot swap them) and call them only for a run granted egress.
const lazyGlobal = <T,>(name: 'Request' | 'Response'): (() => T) => {
  const desc = Object.getOwnPropertyDescriptor(globalThis, name);
  const getter = desc?.get;
  const value = desc?.value as T;
  return getter === undefined ? () => value : () => getter.call(globalThis) as T;
};
const requestClass = lazyGlobal<typeof Request>('Request');
const responseClass = lazyGlobal<typeof Response>('Response');

let fetchClient: FetchClient | undefined;

/** Loads the fetch client (a sibling module copied in with the harness) on first use. */
export async function loadFetchClient(): Promise<FetchClient> {
  if (fetchClient !== undefined) return fetchClient;
  const mod = (await import(siblingUrl('fetch-client.mjs'))) as typeof import('../fetch-client.mjs');
  fetchClient ??= mod.createFetchClient({
    send, stringify: frameJson, bufferFrom, RequestClass: requestClass(), ResponseClass: responseClass(), nativeFetch: ungrantedFetch,
    describe: safeMessage,
  });
  return fetchClient;
}

let checkpointClient: CheckpointClient | undefined;

/** Loads the ctx.checkpoint client (a sibling module, like the fetch client) on the first job run. */
export async function loadCheckpointClient(): Promise<CheckpointClient> {
  if (checkpointClient !== undefined) return checkpointClient;
  const mod = (await import(siblingUrl('checkpoint-client.mjs'))) as typeof import('../checkpoint-client.mjs');
  checkpointClient ??= mod.createCheckpointClient({
    send, stringify: jsonStringify, serializeState: (state) => strictJson(state, 'state'), parse: jsonParse, byteLength, freeze,
  });
  return checkpointClient;
}

/** A `fetched` frame from the host, for the fetch client (if one was ever loaded). */
export function onFetched(frame: FetchedFrame): void {
  fetchClient?.onFetched(frame);
}

/** A `checkpointed` frame from the host, for the checkpoint client (if one was ever loaded). */
export function onCheckpointed(frame: CheckpointedFrame): void {
  checkpointClient?.onCheckpointed(frame);
}

/** A run answered: withdraw what it was granted (its fetches and saves still waiting fail). */
export function endGrants(run: { egress: boolean; job: boolean }): void {
  if (run.egress) fetchClient?.end();
  if (run.job) checkpointClient?.end();
}
