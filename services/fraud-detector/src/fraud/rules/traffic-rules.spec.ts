import { AggregateRecord } from '@clickstream/contracts';
import { DEFAULT_FRAUD_CONFIG } from './rule-config';
import { baselineMean, initialTrafficState, TrafficState, trafficStep } from './traffic-rules';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const rec = (i: number, events: number): Pick<AggregateRecord, 'window_start' | 'events'> => ({
  window_start: new Date(T0 + i * MIN).toISOString(),
  events,
});

/** Runs the pure step over `counts` (minute i = counts[i]; null = missing). */
function run(counts: Array<number | null>, state: TrafficState = initialTrafficState()) {
  const out = [];
  let s = state;
  for (const [i, n] of counts.entries()) {
    if (n === null) continue;
    const r = trafficStep(s, rec(i, n), DEFAULT_FRAUD_CONFIG, NOW);
    s = r.state;
    out.push(...r.alerts);
  }
  return { state: s, alerts: out };
}

describe('trafficStep (pure)', () => {
  it('does not change its input state', () => {
    const before = run(Array.from({ length: 12 }, () => 200)).state;
    const frozen = structuredClone(before);
    trafficStep(before, rec(14, 0), DEFAULT_FRAUD_CONFIG, NOW);
    expect(before).toEqual(frozen);
  });

  it('judges every minute once: a step reports the minutes judged, missing ones included', () => {
    const { state } = run([200, 200]);
    expect(trafficStep(state, rec(5, 200), DEFAULT_FRAUD_CONFIG, NOW).judged).toBe(4);
    expect(trafficStep(state, rec(1, 200), DEFAULT_FRAUD_CONFIG, NOW)).toEqual({
      state,
      alerts: [],
      judged: 0,
    });
  });

  it('gives the same alerts whether a zero minute is published or missing', () => {
    const counts = [...Array.from({ length: 15 }, () => 300), 0, 10, 900, 300];
    const published = run(counts);
    const missing = run(counts.map((n) => (n === 0 ? null : n)));
    const strip = (r: ReturnType<typeof run>) =>
      r.alerts.map((a) => ({ ...a, evidence: { ...a.evidence, missing_minute: undefined } }));
    expect(strip(missing)).toEqual(strip(published));
    expect(missing.state).toEqual(published.state);
    expect(published.alerts.map((a) => a.rule)).toEqual([
      'traffic_drop',
      'traffic_drop',
      'traffic_spike',
    ]);
  });
});

describe('baselineMean', () => {
  it('is null during warm-up or below the minimum mean', () => {
    expect(
      baselineMean(
        Array.from({ length: 9 }, () => 1000),
        DEFAULT_FRAUD_CONFIG,
      ),
    ).toBeNull();
    expect(
      baselineMean(
        Array.from({ length: 10 }, () => 1000),
        DEFAULT_FRAUD_CONFIG,
      ),
    ).toBe(1000);
    expect(
      baselineMean([...Array.from({ length: 9 }, () => 100), 99], DEFAULT_FRAUD_CONFIG),
    ).toBeNull();
    expect(baselineMean([], DEFAULT_FRAUD_CONFIG)).toBeNull();
  });
});
