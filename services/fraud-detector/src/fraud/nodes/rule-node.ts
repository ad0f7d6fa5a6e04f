import { FraudAlert } from '@clickstream/contracts';
import {
  KeyValueStore,
  NodeDefinition,
  NodeInstance,
  ProcessorContext,
  Rec,
} from '@clickstream/streams';
import { configSource, FraudConfig, FraudConfigSource } from '../rules/rule-config';
import { FraudHooks } from './fraud-hooks';

/** What a rule node's instance is built from: its context, its store, the config and the hooks. */
export type RuleNodeFactory<S> = (
  ctx: ProcessorContext,
  store: KeyValueStore<S>,
  current: FraudConfigSource,
  hooks: FraudHooks,
) => NodeInstance;

/** A rule node of the topology: the fraud config (fixed, or read live) and the metric hooks. */
export type RuleNode = (
  config: FraudConfig | FraudConfigSource,
  hooks?: FraudHooks,
) => NodeDefinition;

/**
 * A rule node with one state store. The instance reads the config through `current` per record,
 * so a runtime change applies from the next record.
 */
export function ruleNode<S>(name: string, storeName: string, create: RuleNodeFactory<S>): RuleNode {
  return (config, hooks = {}) => {
    const current = configSource(config);
    return {
      name,
      stores: [storeName],
      create: (ctx) => create(ctx, ctx.store<S>(storeName), current, hooks),
    };
  };
}

/**
 * Reports an alert to the hooks, with the latency since its completing input was observed, and
 * forwards it under `key` at its window start.
 */
export function forwardAlert(
  ctx: ProcessorContext,
  hooks: FraudHooks,
  alert: FraudAlert,
  key: string,
  observedAt: number,
): void {
  hooks.onAlert?.(alert, ctx.now() - observedAt);
  const out: Rec<FraudAlert> = { key, value: alert, timestamp: Date.parse(alert.window_start) };
  ctx.forward(out);
}
