import { FraudAlert } from '@clickstream/contracts';
import { followHeader, followRow, wanted } from './alerts-follow';

const alert = (over: Partial<FraudAlert> = {}): FraudAlert => ({
  alert_id: 'click_flood:u1:2024-01-01T10:00:00.000Z',
  rule: 'click_flood',
  severity: 'medium',
  user_id: 'u1',
  window_start: '2024-01-01T10:00:00.000Z',
  window_end: '2024-01-01T10:01:00.000Z',
  value: 61,
  threshold: 50,
  detected_at: '2024-01-01T10:01:02.000Z',
  evidence: {},
  ...over,
});

describe('alerts --follow', () => {
  it('prints rows under a fixed header, columns aligned whatever the values', () => {
    const [header, rule] = followHeader().split('\n');
    const rows = [
      followRow(alert()),
      followRow(alert({ rule: 'traffic_spike', user_id: null, severity: 'high', value: 3.25 })),
    ];
    expect(header).toBe(
      'detected_at               rule               severity  user_id               window_start              value       threshold',
    );
    expect(rule.length).toBe(header.length);
    expect(rows[0]).toBe(
      '2024-01-01T10:01:02.000Z  click_flood        medium    u1                    2024-01-01T10:00:00.000Z  61          50',
    );
    expect(rows[1]).toContain('traffic_spike      high      *                     ');
    for (const r of rows)
      expect(r.indexOf('2024-01-01T10:00:00.000Z')).toBe(header.indexOf('window_start'));
  });

  it('filters by rule and by minimum severity', () => {
    const rules = new Set(['click_flood'] as const);
    expect(wanted({ rules, minSeverity: null }, alert())).toBe(true);
    expect(wanted({ rules, minSeverity: null }, alert({ rule: 'high_value' }))).toBe(false);
    expect(wanted({ rules: null, minSeverity: 'medium' }, alert({ severity: 'low' }))).toBe(false);
    expect(wanted({ rules: null, minSeverity: 'medium' }, alert({ severity: 'medium' }))).toBe(
      true,
    );
    expect(wanted({ rules: null, minSeverity: 'medium' }, alert({ severity: 'high' }))).toBe(true);
    expect(wanted({ rules: null, minSeverity: null }, alert({ severity: 'low' }))).toBe(true);
  });
});
