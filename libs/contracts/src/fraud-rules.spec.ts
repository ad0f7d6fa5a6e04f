import { readFileSync } from 'node:fs';
import { ALERT_RULES } from './alert.schema';
import {
  DEFAULT_RULE_SETTINGS,
  firstIssue,
  RULE_LIMITS,
  ruleRecordOf,
  ruleRecordSchema,
  ruleSettingsPatchSchema,
  ruleSettingsSchema,
} from './fraud-rules';
import { FRAUD_RULE_JSON_SCHEMA_PATH, renderFraudRuleJsonSchema } from './write-json-schema';

const issueOf = (result: { success: boolean; error?: unknown }) =>
  firstIssue(result.error as Parameters<typeof firstIssue>[0]);

describe('rule settings (the rules file entry and the PUT /v1/rules body)', () => {
  it('accepts any subset of the four settings within the rule bounds', () => {
    expect(ruleSettingsPatchSchema('click_flood').parse({ threshold: 80 })).toEqual({
      threshold: 80,
    });
    expect(
      ruleSettingsPatchSchema('traffic_drop').parse({
        threshold: 0.3,
        severity: 'medium',
        enabled: false,
      }),
    ).toEqual({ threshold: 0.3, severity: 'medium', enabled: false });
  });

  it.each([
    ['click_flood', { threshold: -1 }, 'threshold', 'must be >= 0'],
    ['traffic_drop', { threshold: 1.5 }, 'threshold', 'must be <= 1'],
    ['traffic_spike', { window_ms: 120_000 }, 'window_ms', 'must be <= 60000'],
    ['ip_hopping', { window_ms: 1.5 }, 'window_ms', 'must be an integer'],
    ['high_value', { severity: 'critical' }, 'severity', 'must be one of low, medium, high'],
    ['geo_velocity', { enabled: 'yes' }, 'enabled', 'must be true or false'],
    [
      'click_flood',
      { treshold: 5 },
      'treshold',
      'unknown setting (use enabled, threshold, window_ms, severity)',
    ],
  ] as const)('%s %j: names %s', (rule, body, field, message) => {
    expect(issueOf(ruleSettingsPatchSchema(rule).safeParse(body))).toEqual({ field, message });
  });

  it('has the SPEC §7 defaults, each within its own bounds', () => {
    for (const rule of ALERT_RULES) {
      expect(ruleSettingsSchema(rule).parse(DEFAULT_RULE_SETTINGS[rule])).toEqual(
        DEFAULT_RULE_SETTINGS[rule],
      );
      expect(DEFAULT_RULE_SETTINGS[rule].window_ms).toBeGreaterThanOrEqual(
        RULE_LIMITS[rule].windowMs[0],
      );
    }
    expect(DEFAULT_RULE_SETTINGS.click_flood).toEqual({
      enabled: true,
      threshold: 50,
      window_ms: 60_000,
      severity: 'medium',
    });
  });
});

describe('rules topic record', () => {
  const change = {
    revision: 7,
    rule: 'click_flood' as const,
    changed_at: new Date('2026-12-03T16:00:00Z'),
    key_id: 'alice',
    before: DEFAULT_RULE_SETTINGS.click_flood,
    after: { ...DEFAULT_RULE_SETTINGS.click_flood, threshold: 80 },
    reset: false,
  };

  it('is built from a stored change: the whole config, or null for a reset', () => {
    expect(ruleRecordOf(change)).toEqual({
      rule: 'click_flood',
      revision: 7,
      config: change.after,
      changed_at: '2026-12-03T16:00:00.000Z',
      changed_by: 'alice',
    });
    expect(ruleRecordOf({ ...change, reset: true }).config).toBeNull();
    expect(ruleRecordSchema.parse(ruleRecordOf(change))).toEqual(ruleRecordOf(change));
  });

  it("checks the config against the record's own rule", () => {
    const record = {
      ...ruleRecordOf(change),
      rule: 'traffic_drop',
      config: { ...change.after, window_ms: 60_000, threshold: 2 },
    };
    expect(issueOf(ruleRecordSchema.safeParse(record))).toEqual({
      field: 'config.threshold',
      message: 'must be <= 1',
    });
    expect(ruleRecordSchema.safeParse({ ...ruleRecordOf(change), extra: 1 }).success).toBe(false);
    expect(ruleRecordSchema.safeParse({ ...ruleRecordOf(change), revision: 0 }).success).toBe(
      false,
    );
  });

  it('fraud-rule.v1.schema.json is the schema generated from ruleRecordSchema (run write-json-schema.ts after changing it)', () => {
    expect(JSON.parse(readFileSync(FRAUD_RULE_JSON_SCHEMA_PATH, 'utf8'))).toEqual(
      JSON.parse(renderFraudRuleJsonSchema()),
    );
  });
});
