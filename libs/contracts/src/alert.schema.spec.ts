import {
  aggregateKey,
  aggregateRecordSchema,
  alertId,
  alertKey,
  FraudAlert,
  fraudAlertSchema,
} from './alert.schema';

const START = Date.UTC(2026, 10, 22, 10, 0, 0);

const alert = (over: Partial<FraudAlert> = {}): FraudAlert => ({
  alert_id: alertId('click_flood', 'u1', START),
  rule: 'click_flood',
  severity: 'medium',
  user_id: 'u1',
  window_start: '2026-11-22T10:00:00.000Z',
  window_end: '2026-11-22T10:01:00.000Z',
  value: 51,
  threshold: 50,
  detected_at: '2026-11-22T10:00:31.123Z',
  evidence: { events: 51 },
  ...over,
});

const aggregate = {
  window_size: '1m',
  window_start: '2026-11-22T10:00:00.000Z',
  window_end: '2026-11-22T10:01:00.000Z',
  dimension: 'all',
  events: 120,
  unique_users: 40,
  purchases: 3,
  revenue: 59.97,
  views: 80,
  carts: 10,
  conversion_rate: 0.0375,
  final: true,
};

describe('alertId / alertKey', () => {
  it('is rule:key:window_start with the window start as UTC ISO', () => {
    expect(alertId('click_flood', 'u1', START)).toBe('click_flood:u1:2026-11-22T10:00:00.000Z');
    expect(alertId('traffic_spike', '*', START)).toBe('traffic_spike:*:2026-11-22T10:00:00.000Z');
  });

  it('keys an alert by its user, or * for a global rule', () => {
    expect(alertKey({ user_id: 'u1' })).toBe('u1');
    expect(alertKey({ user_id: null })).toBe('*');
  });
});

describe('fraudAlertSchema', () => {
  it('accepts a per-user and a global alert', () => {
    expect(fraudAlertSchema.parse(alert())).toEqual(alert());
    const global = alert({ rule: 'traffic_drop', severity: 'high', user_id: null });
    expect(fraudAlertSchema.safeParse(global).success).toBe(true);
  });

  it('rejects unknown rules, severities, fields and non-ISO times', () => {
    expect(fraudAlertSchema.safeParse({ ...alert(), rule: 'nope' }).success).toBe(false);
    expect(fraudAlertSchema.safeParse({ ...alert(), severity: 'critical' }).success).toBe(false);
    expect(fraudAlertSchema.safeParse({ ...alert(), extra: 1 }).success).toBe(false);
    expect(fraudAlertSchema.safeParse({ ...alert(), window_start: 'yesterday' }).success).toBe(
      false,
    );
    const { evidence: _evidence, ...withoutEvidence } = alert();
    expect(fraudAlertSchema.safeParse(withoutEvidence).success).toBe(false);
  });
});

describe('aggregateRecordSchema', () => {
  it('accepts a final 1m window record, extra fields kept', () => {
    const parsed = aggregateRecordSchema.parse({ ...aggregate, extra: 'kept' });
    expect(parsed).toMatchObject({ ...aggregate, extra: 'kept' });
    expect(aggregateKey(parsed)).toBe('1m:all');
  });

  it('accepts an empty minute (events 0, no conversion rate)', () => {
    const empty = {
      ...aggregate,
      events: 0,
      unique_users: 0,
      purchases: 0,
      revenue: 0,
      views: 0,
      carts: 0,
    };
    expect(aggregateRecordSchema.safeParse({ ...empty, conversion_rate: null }).success).toBe(true);
  });

  it('rejects malformed window sizes and negative or fractional counts', () => {
    // Sizes are configurable (AGGREGATOR_WINDOW_SIZES), so any `<n>s|m|h` label is a size.
    expect(aggregateRecordSchema.safeParse({ ...aggregate, window_size: '2m' }).success).toBe(true);
    for (const bad of ['0m', '5x', '1 m', '', '05m']) {
      expect(aggregateRecordSchema.safeParse({ ...aggregate, window_size: bad }).success).toBe(
        false,
      );
    }
    expect(aggregateRecordSchema.safeParse({ ...aggregate, events: -1 }).success).toBe(false);
    expect(aggregateRecordSchema.safeParse({ ...aggregate, events: 1.5 }).success).toBe(false);
  });
});
