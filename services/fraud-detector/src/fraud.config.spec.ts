import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, parseEnv } from '@clickstream/platform';
import { FRAUD_ENV_SHAPE, fraudConfig, loadFraudConfig, ruleEnvName } from './fraud.config';
import { DEFAULT_FRAUD_CONFIG } from './fraud/rules/rule-config';
import { SERVICE } from './service';

const dir = mkdtempSync(join(tmpdir(), 'fraud-config-'));
let files = 0;
/** Writes a rules file and returns its path. */
function rulesFile(content: unknown): string {
  const path = join(dir, `rules-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The ConfigValidationError `load` throws. */
function failure(env: NodeJS.ProcessEnv): ConfigValidationError {
  try {
    loadFraudConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('fraud config', () => {
  it('defaults to the SPEC §7 table', () => {
    const { ruleSources, ...cfg } = loadFraudConfig({});
    expect(cfg).toEqual(DEFAULT_FRAUD_CONFIG);
    expect(ruleSources?.click_flood).toEqual({
      enabled: 'default',
      threshold: 'default',
      window_ms: 'default',
      severity: 'default',
    });
    expect(DEFAULT_FRAUD_CONFIG.rules.click_flood).toEqual({
      enabled: true,
      threshold: 50,
      windowMs: 60_000,
      severity: 'medium',
    });
    expect(DEFAULT_FRAUD_CONFIG.rules.high_value).toEqual({
      enabled: true,
      threshold: 10_000,
      windowMs: 600_000,
      severity: 'high',
    });
    expect(DEFAULT_FRAUD_CONFIG.outlier).toEqual({ minUsers: 20, minEvents: 10 });
    expect(DEFAULT_FRAUD_CONFIG.traffic).toEqual({
      baselineMinutes: 30,
      minPreviousMinutes: 10,
      minMean: 100,
    });
  });

  it('reads every rule setting from env vars', () => {
    const cfg = loadFraudConfig({
      FRAUD_CLICK_FLOOD_THRESHOLD: '80',
      FRAUD_CLICK_FLOOD_WINDOW_MS: '120000',
      FRAUD_GEO_VELOCITY_ENABLED: 'false',
      FRAUD_HIGH_VALUE_THRESHOLD: '2500.5',
      FRAUD_IP_HOPPING_SEVERITY: 'medium',
      FRAUD_TRAFFIC_SPIKE_THRESHOLD: '3',
      FRAUD_OUTLIER_MIN_USERS: '50',
      FRAUD_TRAFFIC_MIN_MEAN: '12.5',
    });
    expect(cfg.rules.click_flood).toEqual({
      enabled: true,
      threshold: 80,
      windowMs: 120_000,
      severity: 'medium',
    });
    expect(cfg.rules.geo_velocity.enabled).toBe(false);
    expect(cfg.rules.high_value.threshold).toBe(2500.5);
    expect(cfg.rules.ip_hopping.severity).toBe('medium');
    expect(cfg.rules.traffic_spike.threshold).toBe(3);
    expect(cfg.outlier.minUsers).toBe(50);
    expect(cfg.traffic.minMean).toBe(12.5);
  });

  it('declares the four settings of each of the eight rules', () => {
    expect(Object.keys(FRAUD_ENV_SHAPE)).toHaveLength(1 + 8 * 4 + 5);
    expect(FRAUD_ENV_SHAPE).toHaveProperty(ruleEnvName('traffic_drop', 'SEVERITY'));
    expect(SERVICE.configs).toContain(fraudConfig);
  });

  it.each([
    ['FRAUD_CLICK_FLOOD_THRESHOLD', 'lots', 'must be a number'],
    ['FRAUD_CLICK_FLOOD_THRESHOLD', '-1', 'must be >= 0'],
    ['FRAUD_CLICK_FLOOD_ENABLED', 'yes', 'must be true or false'],
    ['FRAUD_IP_HOPPING_WINDOW_MS', '10.5', 'must be an integer'],
    ['FRAUD_IP_HOPPING_WINDOW_MS', '0', 'must be >= 1000'],
    ['FRAUD_HIGH_VALUE_SEVERITY', 'critical', 'must be one of low, medium, high'],
    ['FRAUD_TRAFFIC_DROP_THRESHOLD', '1.5', 'must be <= 1'],
    ['FRAUD_TRAFFIC_SPIKE_WINDOW_MS', '300000', 'must be <= 60000'],
    ['FRAUD_OUTLIER_MIN_USERS', '0', 'must be >= 1'],
    ['FRAUD_TRAFFIC_BASELINE_MINUTES', '', 'must be an integer'],
  ])('a bad %s=%j stops boot naming the variable', (name, value, reason) => {
    const e = failure({ [name]: value });
    expect(e.variable).toBe(name);
    expect(e.message).toContain(`${name}="${value}"`);
    expect(e.message).toContain(reason);
  });

  it('takes values from the JSON file of FRAUD_RULES_FILE', () => {
    const path = rulesFile({
      rules: {
        click_flood: { threshold: 100, severity: 'high' },
        purchase_velocity: { enabled: false, window_ms: 300_000 },
      },
      outlier: { min_users: 30, min_events: 5 },
      traffic: { baseline_minutes: 60, min_previous_minutes: 20, min_mean: 50 },
    });
    const cfg = loadFraudConfig({ FRAUD_RULES_FILE: path });
    expect(cfg.rules.click_flood).toEqual({
      enabled: true,
      threshold: 100,
      windowMs: 60_000,
      severity: 'high',
    });
    expect(cfg.rules.purchase_velocity).toEqual({
      enabled: false,
      threshold: 5,
      windowMs: 300_000,
      severity: 'high',
    });
    expect(cfg.rules.ip_hopping).toEqual(DEFAULT_FRAUD_CONFIG.rules.ip_hopping);
    expect(cfg.outlier).toEqual({ minUsers: 30, minEvents: 5 });
    expect(cfg.traffic).toEqual({ baselineMinutes: 60, minPreviousMinutes: 20, minMean: 50 });
  });

  it('env vars override the file', () => {
    const path = rulesFile({
      rules: { click_flood: { threshold: 100, enabled: false } },
      outlier: { min_users: 30 },
    });
    const cfg = loadFraudConfig({
      FRAUD_RULES_FILE: path,
      FRAUD_CLICK_FLOOD_THRESHOLD: '70',
      FRAUD_CLICK_FLOOD_ENABLED: 'true',
    });
    expect(cfg.rules.click_flood).toMatchObject({ threshold: 70, enabled: true });
    expect(cfg.outlier.minUsers).toBe(30);
    // Where each setting comes from, as GET /v1/rules shows it.
    expect(cfg.ruleSources?.click_flood).toEqual({
      enabled: 'env',
      threshold: 'env',
      window_ms: 'default',
      severity: 'default',
    });
    expect(loadFraudConfig({ FRAUD_RULES_FILE: path }).ruleSources?.click_flood).toMatchObject({
      enabled: 'file',
      threshold: 'file',
    });
  });

  it.each([
    [{ rules: { click_flood: { threshold: -5 } } }, 'rules.click_flood.threshold: must be >= 0'],
    [
      { rules: { click_flood: { threshold: '50' } } },
      'rules.click_flood.threshold: must be a number',
    ],
    [
      { rules: { geo_velocity: { severity: 'critical' } } },
      'rules.geo_velocity.severity: must be one of low, medium, high',
    ],
    [{ rules: { click_flod: {} } }, 'rules: Unrecognized key: "click_flod"'],
    [{ traffic: { min_mean: -1 } }, 'traffic.min_mean: must be >= 0'],
    ['{ not json', 'cannot read a JSON rules file'],
    [[1, 2], '(root):'],
  ])('a bad rules file %j stops boot naming FRAUD_RULES_FILE and the field', (content, reason) => {
    const path = rulesFile(content);
    const e = failure({ FRAUD_RULES_FILE: path });
    expect(e.variable).toBe('FRAUD_RULES_FILE');
    expect(e.message).toContain(reason);
  });

  it('a missing rules file stops boot', () => {
    const e = failure({ FRAUD_RULES_FILE: join(dir, 'nope.json') });
    expect(e.variable).toBe('FRAUD_RULES_FILE');
    expect(e.message).toContain('ENOENT');
  });

  it('min previous minutes cannot exceed the baseline minutes', () => {
    const e = failure({ FRAUD_TRAFFIC_BASELINE_MINUTES: '5' });
    expect(e.variable).toBe('FRAUD_TRAFFIC_MIN_PREVIOUS_MINUTES');
    expect(e.message).toContain('must be <= FRAUD_TRAFFIC_BASELINE_MINUTES (5)');
  });

  it('the env shape alone validates at boot (bootstrap runs parseEnv before Nest)', () => {
    expect(() => parseEnv(FRAUD_ENV_SHAPE, { FRAUD_CLICK_FLOOD_THRESHOLD: 'x' })).toThrow(
      ConfigValidationError,
    );
    expect(() => parseEnv(FRAUD_ENV_SHAPE, {})).not.toThrow();
  });
});
