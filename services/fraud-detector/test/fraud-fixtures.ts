import { AggregateRecord, ClickEvent, FraudAlert, topicNames } from '@clickstream/contracts';
import { prng, TopologyTestDriver } from '@clickstream/streams/testing';
import { fraudTopology } from '../src/fraud/fraud-detector.topology';
import { DEFAULT_FRAUD_CONFIG, FraudConfig } from '../src/fraud/rules/rule-config';

/** Test helpers shared by the fraud-detector specs (not part of the service). */

export const MIN = 60_000;
export const topics = topicNames('');
/** 2026-11-22T10:00:00Z: aligned to every window size the rules use. */
export const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
export const WALL = Date.UTC(2026, 10, 22, 12, 0, 0);
export const iso = (ms: number) => new Date(ms).toISOString();

export function fraudDriver(
  cfg: FraudConfig = DEFAULT_FRAUD_CONFIG,
  options: { partitions?: number; allowedLatenessMs?: number } = {},
) {
  const topology = fraudTopology({ topics, cfg });
  return new TopologyTestDriver(topology, {
    allowedLatenessMs: options.allowedLatenessMs ?? 2 * MIN,
    partitions: options.partitions,
    wallClock: WALL,
  });
}

let seq = 0;
export function clickEvent(user: string, t: number, extra: Partial<ClickEvent> = {}): ClickEvent {
  return {
    event_id: `e${seq++}`,
    event_time: iso(t),
    event_type: 'view',
    user_id: user,
    quantity: 1,
    currency: 'USD',
    properties: {},
    received_at: iso(t),
    ...extra,
  };
}

export function pipeEvents(d: TopologyTestDriver, events: ClickEvent[]): void {
  for (const e of events) d.pipe(topics.events, e.user_id, e);
}

/** Alerts published so far (drains the topic), checked against the alert record shape by key. */
export function alerts(d: TopologyTestDriver): FraudAlert[] {
  return d.readOutput<FraudAlert>(topics.alerts).map((r) => {
    if (r.key !== (r.value.user_id ?? '*'))
      throw new Error(`alert ${r.value.alert_id} has key ${r.key}`);
    return r.value;
  });
}

/** Seeded shuffle. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A final `all` 1 min record of the aggregator. */
export function minute(
  start: number,
  events: number,
  over: Partial<AggregateRecord> = {},
): AggregateRecord {
  return {
    window_size: '1m',
    window_start: iso(start),
    window_end: iso(start + MIN),
    dimension: 'all',
    events,
    unique_users: Math.min(events, 10),
    purchases: 0,
    revenue: 0,
    views: events,
    carts: 0,
    conversion_rate: 0,
    final: true,
    ...over,
  };
}

export function pipeMinutes(d: TopologyTestDriver, records: AggregateRecord[]): void {
  for (const r of records) d.pipe(topics.aggregates, `${r.window_size}:${r.dimension}`, r);
}
