import { AlertRule, alertRow, fraudAlertSchema, sinkDrift } from '@clickstream/contracts';
import { TableSinkDefinition } from '@clickstream/streams';
import { TopologyTestDriver } from '@clickstream/streams/testing';
import { fraudTopology } from './fraud-detector.topology';
import { DEFAULT_FRAUD_CONFIG } from './rules/rule-config';
import {
  alerts,
  clickEvent,
  MIN,
  minute,
  pipeEvents,
  pipeMinutes,
  T0,
  topics,
  WALL,
} from '../../test/fraud-fixtures';

describe('fraudTopology', () => {
  it('names every node, store and sink', () => {
    const text = fraudTopology({ topics, cfg: DEFAULT_FRAUD_CONFIG }).describe();
    expect(text).toContain('fraud-user-rules [stores: fraud-user-rules-store]');
    expect(text).toContain('fraud-user-activity\n');
    expect(text).toContain('fraud-user-activity-table -> table fraud_user_activity (adds events)');
    expect(text).toContain('fraud-traffic-rules [stores: fraud-traffic-rules-store]');
    expect(text).toContain(`fraud-user-alerts -> topic ${topics.alerts}`);
    expect(text).toContain('fraud-traffic-alerts-table -> table alerts');
    expect(text).toContain('fraud-user-activity-table -> table fraud_user_activity');
  });

  it('both alert table sinks write the alerts row contract’s columns and primary key', () => {
    const topology = fraudTopology({ topics, cfg: DEFAULT_FRAUD_CONFIG });
    const sinks = topology.sinks.filter(
      (s): s is TableSinkDefinition => s.kind === 'table' && s.table === alertRow.table,
    );
    expect(sinks.map((s) => s.name)).toEqual([
      'fraud-user-alerts-table',
      'fraud-traffic-alerts-table',
    ]);
    for (const sink of sinks) expect(sinkDrift(alertRow, sink)).toEqual([]);
  });

  it('publishes per-user and global alerts to one topic and one table, valid by the alert schema', () => {
    const evaluated = new Map<AlertRule, number>();
    const latencies: Array<[string, number]> = [];
    const topology = fraudTopology({
      topics,
      cfg: DEFAULT_FRAUD_CONFIG,
      onEvaluate: (rule) => evaluated.set(rule, (evaluated.get(rule) ?? 0) + 1),
      onAlert: (alert, latencyMs) => latencies.push([alert.rule, latencyMs]),
    });
    const d = new TopologyTestDriver(topology, {
      allowedLatenessMs: 2 * MIN,
      partitions: 2,
      wallClock: WALL,
    });
    pipeEvents(
      d,
      Array.from({ length: 51 }, (_, i) => clickEvent('u1', T0 + i * 100)),
    );
    pipeMinutes(
      d,
      Array.from({ length: 11 }, (_, i) => minute(T0 + i * MIN, i < 10 ? 200 : 900)),
    );

    const published = alerts(d);
    expect(published.map((a) => a.alert_id)).toEqual([
      'click_flood:u1:2026-11-22T10:00:00.000Z',
      'traffic_spike:*:2026-11-22T10:10:00.000Z',
    ]);
    for (const a of published) expect(fraudAlertSchema.parse(a)).toEqual(a);
    const stored = d.readTable('alerts');
    expect(stored.map((r) => r.alert_id).sort()).toEqual(published.map((a) => a.alert_id).sort());
    // The stored rows are the contract's alert rows.
    for (const row of stored) expect(alertRow.schema.parse(row)).toEqual(row);
    expect(evaluated.get('click_flood')).toBe(51);
    expect(evaluated.get('traffic_spike')).toBe(11);
    // received_at = event time in the fixtures; the spike's input arrived at its window end.
    expect(latencies).toEqual([
      ['click_flood', WALL - (T0 + 5000)],
      ['traffic_spike', WALL - (T0 + 11 * MIN)],
    ]);
  });
});
