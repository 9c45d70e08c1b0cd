// The egress broker: built once by the composition root with the operator's address rules, the
// secret source and the network functions (injectable for tests); opens one session per
// execution of a function granted egress.
import type { EgressLimits } from '../core/types.js';
import { AddressRules } from './addresses.js';
import type { Cidr } from './ip.js';
import { DEFAULT_EGRESS_LIMITS } from './limits.js';
import { BrokerSession } from './session.js';
import { httpConnector, systemResolver } from './transport.js';
import type { Connector, Resolver } from './transport.js';
import type { EgressBroker, EgressMetrics, EgressSession, EgressSessionOptions, SecretSource } from './types.js';

export interface BrokerOptions {
  secrets: SecretSource;
  /** Ranges the operator allows despite the address rules (AIRLOCK_EGRESS_ALLOW_CIDRS). */
  allowCidrs?: readonly Cidr[];
  /** Limits for policies stored without resolved limits (the deploy normally resolves them). */
  defaultLimits?: EgressLimits;
  resolver?: Resolver;
  connector?: Connector;
  /** Counts every request by outcome. */
  metrics?: EgressMetrics;
}

export class HttpEgressBroker implements EgressBroker {
  private readonly rules: AddressRules;
  private readonly options: BrokerOptions;
  private readonly resolver: Resolver;
  private readonly connector: Connector;

  constructor(options: BrokerOptions) {
    this.options = options;
    this.rules = new AddressRules(options.allowCidrs ?? []);
    this.resolver = options.resolver ?? systemResolver;
    this.connector = options.connector ?? httpConnector();
  }

  open(opts: EgressSessionOptions): EgressSession {
    const limits = { ...(this.options.defaultLimits ?? DEFAULT_EGRESS_LIMITS), ...opts.policy.limits };
    return new BrokerSession(opts, {
      rules: this.rules, resolver: this.resolver, connector: this.connector, secrets: this.options.secrets, limits,
      ...(this.options.metrics === undefined ? {} : { metrics: this.options.metrics }),
    });
  }
}

/** A secret source that knows no secrets (until the secrets service is wired in). */
export const NO_SECRETS: SecretSource = { get: () => Promise.resolve(undefined), boundTo: () => Promise.resolve([]) };
