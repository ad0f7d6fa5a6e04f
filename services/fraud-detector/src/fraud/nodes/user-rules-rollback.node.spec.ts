import { ClickEvent } from '@clickstream/contracts';
import { clickEventSource } from '@clickstream/platform';
import { Serdes, TopologyBuilder, TumblingWindows } from '@clickstream/streams';
import { prng, TopologyTestDriver } from '@clickstream/streams/testing';
import { FRAUD_DETECTOR_APP_ID } from '../fraud-detector.topology';
import { DEFAULT_FRAUD_CONFIG } from '../rules/rule-config';
import { UserWindows, userWindowsOf } from '../rules/user-windows-bytes';
import { clickEvent, MIN, T0, topics, WALL } from '../../../test/fraud-fixtures';
import { USER_RULES_STORE, userRulesNode } from './user-rules.node';

/*
 * A failed step is rolled back and the node is kept (TaskGraph.restore): it re-indexes the users
 * put back, and a watermark step that failed after it took users off its window-end index puts
 * them back. Here a sibling's final window results fail now and then, after the rule node closed
 * its windows in the same step, and the rule node's alerts fail now and then too: every failed
 * step is retried and succeeds, so the alerts and the stored windows must be exactly those of a run
 * without failures.
 */
describe('user rules: a failed step leaves the rule windows as they were', () => {
  const failures = { closing: false, alerts: false };
  const failOnce = (which: 'closing' | 'alerts') => () => {
    if (!failures[which]) return;
    failures[which] = false;
    throw new Error(`${which} sink down`);
  };
  const topology = () => {
    const b = new TopologyBuilder(FRAUD_DETECTOR_APP_ID);
    const events = b.stream<ClickEvent>(topics.events, clickEventSource('rollback-test'));
    // Wired first, so its watermark step runs after the rule node's.
    events
      .windowedAggregate<number>('rollback-test-window-1m', {
        window: TumblingWindows.of(MIN),
        groupKey: (e) => e.user_id,
        initializer: () => 0,
        aggregator: (n) => n + 1,
        emit: 'final',
      })
      .peek('rollback-test-fail-closing', failOnce('closing'))
      .to('rollback-test-windows', {
        topic: 'windows',
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.value.key,
      });
    events
      .process(userRulesNode(DEFAULT_FRAUD_CONFIG))
      .peek('rollback-test-fail-alerts', failOnce('alerts'))
      .to('rollback-test-alerts', {
        topic: topics.alerts,
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.key,
      });
    return b.build();
  };
  /** Bursts of clicks from new IPs and countries, several users, over about half an hour. */
  const traffic = (seed: number): ClickEvent[] => {
    const random = prng(seed);
    const out: ClickEvent[] = [];
    let t = T0;
    for (let i = 0; i < 1_500; i++) {
      t += Math.floor(random() * 2_400);
      const user = `u${Math.floor(random() * 4)}`;
      out.push(
        clickEvent(user, t, {
          event_type: random() < 0.8 ? 'click' : 'purchase',
          price: 300,
          ip: `10.0.0.${Math.floor(random() * 14)}`,
          country: ['DE', 'FR', 'US', 'GB'][Math.floor(random() * 4)],
        }),
      );
    }
    return out;
  };
  const run = (events: ClickEvent[], failAt: (i: number) => 'closing' | 'alerts' | null) => {
    const d = new TopologyTestDriver(topology(), {
      allowedLatenessMs: 2 * MIN,
      wallClock: WALL,
      deadLetterTopic: 'dlq',
    });
    // The stored windows after every event: a window kept past the watermark (its user taken off
    // the index and not put back) would only go at the user's next close, or never.
    const stored: string[] = [];
    events.forEach((e, i) => {
      const which = failAt(i);
      if (which) failures[which] = true;
      d.pipe(topics.events, e.user_id, e);
      failures.closing = failures.alerts = false;
      const windows = [...d.store<UserWindows | Uint8Array>(USER_RULES_STORE)]
        .map(([key, value]) => [key, userWindowsOf(value)] as const)
        .sort(([a], [b]) => (a < b ? -1 : 1));
      stored.push(JSON.stringify(windows));
    });
    d.pipe(topics.events, 'flush', clickEvent('flush', T0 + 6 * 60 * MIN));
    return {
      alerts: d.readOutput(topics.alerts),
      windows: d.readOutput('windows'),
      stored,
      dlq: d.readOutput('dlq'),
    };
  };

  it.each([1, 2, 3])('seed %i: the same alerts and windows as without failures', (seed) => {
    const events = traffic(seed);
    const clean = run(events, () => null);
    expect(clean.alerts.length).toBeGreaterThan(10);
    const random = prng(seed * 7);
    const failed = run(events, () => {
      const r = random();
      return r < 0.3 ? 'closing' : r < 0.4 ? 'alerts' : null;
    });
    expect(failed.dlq).toEqual([]);
    // Per user, in order: keys closed at one watermark may come out in another order.
    const byKey = (records: Array<{ key: string | null }>) =>
      [...new Set(records.map((r) => r.key))]
        .sort()
        .map((key) => records.filter((r) => r.key === key));
    expect(byKey(failed.alerts)).toEqual(byKey(clean.alerts));
    expect(byKey(failed.windows)).toEqual(byKey(clean.windows));
    expect(failed.stored).toEqual(clean.stored);
  });
});
