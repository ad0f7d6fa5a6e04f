import { ClickEvent, RuleRecord } from '@clickstream/contracts';
import { TopologyTestDriver } from '@clickstream/streams/testing';
import { fraudTopology } from '../fraud-detector.topology';
import { DEFAULT_FRAUD_CONFIG, fraudConfigWith } from '../rules/rule-config';
import {
  alerts,
  clickEvent,
  iso,
  MIN,
  pipeEvents,
  T0,
  topics,
  WALL,
} from '../../../test/fraud-fixtures';
import { LiveFraudConfig } from './live-fraud-config';

const record = (
  revision: number,
  config: Partial<RuleRecord['config']> | null,
  rule: RuleRecord['rule'] = 'click_flood',
): RuleRecord => ({
  rule,
  revision,
  config:
    config === null
      ? null
      : { enabled: true, threshold: 50, window_ms: MIN, severity: 'medium', ...config },
  changed_at: iso(WALL),
  changed_by: 'alice',
});

describe('LiveFraudConfig', () => {
  it('starts from the boot config and swaps in a new config object per change', () => {
    const live = new LiveFraudConfig(DEFAULT_FRAUD_CONFIG);
    const boot = live.source();
    expect(boot).toBe(DEFAULT_FRAUD_CONFIG);
    expect(live.apply('click_flood', record(1, { threshold: 80 }))).toMatchObject({
      rule: 'click_flood',
      revision: 1,
      before: { threshold: 50 },
      after: { threshold: 80 },
    });
    expect(live.source()).not.toBe(boot);
    expect(live.source().rules.click_flood).toEqual({
      enabled: true,
      threshold: 80,
      windowMs: MIN,
      severity: 'medium',
    });
    expect(live.source().rules.ip_hopping).toBe(boot.rules.ip_hopping);
    expect(live.revision).toBe(1);
  });

  it('ignores a repeat or an older revision of a rule (a republished or re-read record)', () => {
    const live = new LiveFraudConfig(DEFAULT_FRAUD_CONFIG);
    live.apply('click_flood', record(3, { threshold: 80 }));
    expect(live.apply('click_flood', record(3, { threshold: 80 }))).toBeUndefined();
    expect(live.apply('click_flood', record(2, { threshold: 70 }))).toBeUndefined();
    expect(live.source().rules.click_flood.threshold).toBe(80);
    // Revisions are global: another rule's older number is its own latest.
    expect(
      live.apply(
        'ip_hopping',
        record(2, { threshold: 3, window_ms: 10 * MIN, severity: 'high' }, 'ip_hopping'),
      ),
    ).toBeDefined();
    expect(live.revision).toBe(3);
  });

  it('goes back to the boot config (file and env included) on a reset record or a tombstone', () => {
    const boot = fraudConfigWith({ click_flood: { threshold: 65 } });
    const live = new LiveFraudConfig(boot);
    live.apply('click_flood', record(1, { threshold: 80 }));
    expect(live.apply('click_flood', record(2, null))).toMatchObject({
      revision: 2,
      after: { threshold: 65 },
    });
    live.apply('click_flood', record(3, { threshold: 90 }));
    expect(live.apply('click_flood', null)).toMatchObject({
      revision: null,
      after: { threshold: 65 },
    });
    // After a tombstone the rule has no runtime record: a later revision applies again.
    expect(live.apply('click_flood', record(4, { threshold: 75 }))).toBeDefined();
  });
});

describe('the topology on a live config (topology test driver)', () => {
  const clicks = (user: string, n: number, start: number, stepMs = 200): ClickEvent[] =>
    Array.from({ length: n }, (_, i) =>
      clickEvent(user, start + i * stepMs, { event_type: 'click' }),
    );

  function driver(live: LiveFraudConfig) {
    return new TopologyTestDriver(fraudTopology({ topics, cfg: live.source }), {
      allowedLatenessMs: 1000,
      wallClock: WALL,
    });
  }

  it('applies a new threshold from the next event: to windows in progress and to new ones', () => {
    const live = new LiveFraudConfig(fraudConfigWith({ outlier_activity: { enabled: false } }));
    const d = driver(live);
    pipeEvents(d, clicks('early', 40, T0));
    live.apply('click_flood', record(1, { threshold: 80 }));
    // 'early' had 40 of its window before the change: 60 in all is under the new threshold.
    pipeEvents(d, [
      ...clicks('early', 20, T0 + 10_000),
      ...clicks('sixty', 60, T0 + MIN),
      ...clicks('ninety', 90, T0 + 2 * MIN),
    ]);
    expect(alerts(d).map((a) => [a.user_id, a.threshold, a.value])).toEqual([['ninety', 80, 81]]);
  });

  it('switches a rule off and on at runtime', () => {
    const live = new LiveFraudConfig(DEFAULT_FRAUD_CONFIG);
    const d = driver(live);
    live.apply('click_flood', record(1, { enabled: false }));
    pipeEvents(d, clicks('off', 60, T0));
    live.apply('click_flood', record(2, { enabled: true }));
    pipeEvents(d, clicks('on', 60, T0 + MIN));
    expect(alerts(d).map((a) => a.user_id)).toEqual(['on']);
  });

  it('starts new windows after a window size change, and the old window closing does not delete the new one', () => {
    const live = new LiveFraudConfig(fraudConfigWith({ outlier_activity: { enabled: false } }));
    const d = driver(live);
    pipeEvents(d, clicks('u', 30, T0)); // [T0, T0 + 1 min): 30
    live.apply('click_flood', record(1, { window_ms: 2 * MIN }));
    // [T0, T0 + 2 min) has the same start and store key, but is a new window: 40, not 70.
    pipeEvents(d, clicks('u', 40, T0 + 30_000, 100));
    expect(alerts(d)).toEqual([]);
    // Past T0 + 1 min the watermark closes the old window; the new one keeps its 40 and crosses 50.
    pipeEvents(d, clicks('u', 11, T0 + 70_000));
    expect(alerts(d).map((a) => [a.window_start, a.window_end, a.value])).toEqual([
      [iso(T0), iso(T0 + 2 * MIN), 51],
    ]);
  });
});
