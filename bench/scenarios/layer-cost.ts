// Bench scenario "what the defense-in-depth layers cost": warm invoke throughput at 16
// connections on two servers started side by side from the same code, one with every isolation
// layer (namespaces, unprivileged uid, seccomp, cgroups) and one with only the first two
// (AIRLOCK_SECCOMP=off, AIRLOCK_CGROUPS=off). Rounds alternate which server goes first, with a
// pause between measurements so that one server's after-work (record flushes, checkpoints) never
// lands in the other's round; the figure is the median of the per-round ratios.
import { ECHO_FUNCTION, ECHO_INPUT } from '../lib/echo.js';
import { load } from '../lib/http.js';
import type { Target } from '../lib/http.js';
import type { BenchServer, StartServer } from '../lib/server.js';
import { median } from '../lib/stats.js';

export interface LayerCostOptions {
  start: StartServer;
  rounds: number;
  seconds: number;
  log(msg: string): void;
}

export interface LayerCostFigures {
  connections: number;
  /** Median 2xx/s of the rounds, every layer on. */
  allLayers: number;
  /** Median 2xx/s of the rounds, seccomp and cgroups off. */
  namespacesOnly: number;
  /** allLayers / namespacesOnly per round, and their median. */
  perRound: number[];
  ratio: number;
}

const PAUSE_MS = 2_000;
/** The layers of the comparison server: what the sandbox had before seccomp and cgroups. */
export const NAMESPACES_ONLY: Record<string, string> = {
  AIRLOCK_SECCOMP: 'off',
  AIRLOCK_CGROUPS: 'off',
  AIRLOCK_REQUIRED_LAYERS: 'namespaces,unprivileged-uid',
};

const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));

async function prepare(server: BenchServer): Promise<Target> {
  const deployed = await server.request('PUT', '/v1/tenants/bench/functions/echo', { code: ECHO_FUNCTION });
  if (deployed.status !== 201 && deployed.status !== 200) throw new Error(`deploy failed: ${JSON.stringify(deployed.body)}`);
  const target: Target = {
    url: server.url, path: '/v1/tenants/bench/functions/echo/invoke', headers: { authorization: `Bearer ${server.key}` }, body: ECHO_INPUT,
  };
  await load(target, 16, 2); // brings up the tenant's warm sandboxes
  return target;
}

async function okPerSecond(target: Target, seconds: number): Promise<number> {
  const r = await load(target, 16, seconds);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${r.non2xx} non-2xx answers and ${r.errors} errors at ${target.url}`);
  return r.okPerSecond;
}

export async function layerCost(opts: LayerCostOptions): Promise<LayerCostFigures> {
  // Sandboxes live for the whole run (no recycling mid-round on either side).
  const common = { AIRLOCK_POOL_SIZE: '2', AIRLOCK_SANDBOX_MAX_EXECUTIONS: '1000000' };
  const full = await opts.start(common);
  let bare: BenchServer | undefined;
  try {
    bare = await opts.start({ ...common, ...NAMESPACES_ONLY });
    const fullTarget = await prepare(full);
    const bareTarget = await prepare(bare);
    const all: number[] = [];
    const ns: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      opts.log(`layer cost: round ${round + 1}/${opts.rounds}`);
      await pause();
      if (round % 2 === 0) {
        all.push(await okPerSecond(fullTarget, opts.seconds));
        await pause();
        ns.push(await okPerSecond(bareTarget, opts.seconds));
      } else {
        ns.push(await okPerSecond(bareTarget, opts.seconds));
        await pause();
        all.push(await okPerSecond(fullTarget, opts.seconds));
      }
    }
    const perRound = all.map((a, i) => a / ns[i]!);
    return { connections: 16, allLayers: median(all), namespacesOnly: median(ns), perRound, ratio: median(perRound) };
  } finally {
    await full.close();
    await bare?.close();
  }
}
