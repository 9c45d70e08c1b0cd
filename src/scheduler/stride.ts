// Fair choice of which queued work runs next: stride scheduling over the tenants that have ready
// work. Pure (no SQL, no clock): a queue store reads demand and capacity, asks planClaims() what
// to claim, claims exactly that, and saves the returned passes and virtual time.
//
// Each tenant has a `pass` (virtual time at which it is next due); serving it advances its pass by
// 1/weight, and the tenant with the smallest pass goes next, so over time tenants are served in
// proportion to their weights. A tenant that was idle joins at the current virtual time (the pass
// of the last tenant served), so idling banks no credit and a returning tenant cannot burst.
// Interactive work goes before background work; background may hold at most
// `slots - interactiveReserved` slots, so a background backlog never fills the reserved ones.

export type Lane = 'interactive' | 'background';
export const LANES: readonly Lane[] = ['interactive', 'background'];

export interface TenantDemand {
  tenant: string;
  /** Share of the queue relative to other tenants; > 0. */
  weight: number;
  /** Stored pass, or undefined for a tenant never served. */
  pass: number | undefined;
  /** Items ready to run now, per lane (a count above the claim size is never needed). */
  ready: Record<Lane, number>;
  /** Items of this tenant running now, both lanes together. */
  running: number;
  /** Most items this tenant may have running at once. */
  cap: number;
}

export interface Capacity {
  /** Items that may run at once across all tenants and lanes. */
  slots: number;
  /** Slots only interactive work may use. */
  interactiveReserved: number;
  /** Items running now, per lane. */
  running: Record<Lane, number>;
}

export interface Pick {
  tenant: string;
  lane: Lane;
}

export interface Plan {
  /** What to claim, in order. Several picks may name the same tenant and lane. */
  picks: Pick[];
  /** New pass of every tenant that was picked. */
  passes: Map<string, number>;
  /** New virtual time (never below the one given). */
  vtime: number;
}

interface State {
  tenant: string;
  stride: number;
  pass: number;
  ready: Record<Lane, number>;
  running: number;
  cap: number;
}

function best(states: readonly State[], lane: Lane): State | undefined {
  let found: State | undefined;
  for (const s of states) {
    if (s.ready[lane] <= 0 || s.running >= s.cap) continue;
    if (found === undefined || s.pass < found.pass || (s.pass === found.pass && s.tenant < found.tenant)) {
      found = s;
    }
  }
  return found;
}

/**
 * Plans up to `max` claims, at most `laneMax[lane]` of a lane when given (a claimer with room for
 * only some work of a lane). `vtime` is the stored virtual time (0 for a new queue).
 */
export function planClaims(
  demands: readonly TenantDemand[],
  capacity: Capacity,
  vtime: number,
  max: number,
  laneMax: Partial<Record<Lane, number>> = {},
): Plan {
  const states: State[] = demands.map((d) => {
    if (!(d.weight > 0) || !Number.isFinite(d.weight)) {
      throw new RangeError(`tenant ${d.tenant} has weight ${d.weight}; weights must be finite and > 0`);
    }
    return {
      tenant: d.tenant,
      stride: 1 / d.weight,
      pass: Math.max(d.pass ?? vtime, vtime),
      ready: { ...d.ready },
      running: d.running,
      cap: d.cap,
    };
  });
  let free = capacity.slots - capacity.running.interactive - capacity.running.background;
  let backgroundFree = Math.min(capacity.slots - capacity.interactiveReserved - capacity.running.background, laneMax.background ?? Infinity);
  let interactiveFree = laneMax.interactive ?? Infinity;
  const picks: Pick[] = [];
  const passes = new Map<string, number>();
  let now = vtime;
  while (picks.length < max && free > 0) {
    let lane: Lane = 'interactive';
    let chosen = interactiveFree > 0 ? best(states, 'interactive') : undefined;
    if (chosen === undefined && backgroundFree > 0) {
      lane = 'background';
      chosen = best(states, 'background');
    }
    if (chosen === undefined) break;
    now = Math.max(now, chosen.pass);
    chosen.pass += chosen.stride;
    chosen.ready[lane] -= 1;
    chosen.running += 1;
    free -= 1;
    if (lane === 'background') backgroundFree -= 1;
    else interactiveFree -= 1;
    passes.set(chosen.tenant, chosen.pass);
    picks.push({ tenant: chosen.tenant, lane });
  }
  return { picks, passes, vtime: now };
}
