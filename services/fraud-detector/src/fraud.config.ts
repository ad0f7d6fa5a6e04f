import { readFileSync } from 'node:fs';
import { ConfigType } from '@nestjs/config';
import { z } from 'zod';
import { ALERT_RULES, ALERT_SEVERITIES, AlertRule } from '@clickstream/contracts';
import { ConfigValidationError, defineConfig, EnvShape, parseEnv } from '@clickstream/platform';
import { DEFAULT_FRAUD_CONFIG, FraudConfig, RuleConfig } from './fraud/rules/rule-config';

/**
 * The fraud rules' settings (SPEC §7), validated at boot. Defaults are the SPEC table; an optional
 * JSON file (FRAUD_RULES_FILE) changes them, and env vars override the file, e.g.
 * FRAUD_CLICK_FLOOD_THRESHOLD=80, FRAUD_GEO_VELOCITY_ENABLED=false. The file:
 *
 *   { "rules": { "click_flood": { "enabled": true, "threshold": 50, "window_ms": 60000, "severity": "medium" } },
 *     "outlier": { "min_users": 20, "min_events": 10 },
 *     "traffic": { "baseline_minutes": 30, "min_previous_minutes": 10, "min_mean": 100 } }
 *
 * Every key is optional; unknown keys are errors (a typo must not silently keep a default). A bad
 * env value names the variable; a bad file value names FRAUD_RULES_FILE and the field's path.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Limits {
  threshold: [number, number];
  windowMs: [number, number];
}

const USER_RULE_LIMITS: Limits = { threshold: [0, 1e12], windowMs: [1000, DAY] };

/** Bounds of each rule's settings. Traffic rules read the aggregator's final 1 min windows, so their window is fixed. */
const LIMITS: Record<AlertRule, Limits> = {
  click_flood: USER_RULE_LIMITS,
  ip_hopping: USER_RULE_LIMITS,
  purchase_velocity: USER_RULE_LIMITS,
  high_value: USER_RULE_LIMITS,
  geo_velocity: USER_RULE_LIMITS,
  // threshold = the IQR multiplier k of Q3 + k·IQR
  outlier_activity: { threshold: [0, 100], windowMs: [MINUTE, 7 * DAY] },
  // threshold = the factor of the baseline mean: a spike is above it, a drop below it
  traffic_spike: { threshold: [1, 1000], windowMs: [MINUTE, MINUTE] },
  traffic_drop: { threshold: [0, 1], windowMs: [MINUTE, MINUTE] },
};

const OTHER_LIMITS = {
  minUsers: [1, 10_000_000],
  minEvents: [0, 1e12],
  baselineMinutes: [1, 24 * 60],
  minPreviousMinutes: [1, 24 * 60],
  minMean: [0, 1e12],
} as const;

// --- env values: optional (no default), since an unset variable falls back to the file ------------

const envNumber = ([min, max]: readonly [number, number]) =>
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`))
    .optional();

const envInt = ([min, max]: readonly [number, number]) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`))
    .optional();

const envBool = () =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .optional();

const envSeverity = () =>
  z.enum(ALERT_SEVERITIES, { message: `must be one of ${ALERT_SEVERITIES.join(', ')}` }).optional();

/** FRAUD_CLICK_FLOOD_THRESHOLD, ... */
export const ruleEnvName = (
  rule: AlertRule,
  setting: 'ENABLED' | 'THRESHOLD' | 'WINDOW_MS' | 'SEVERITY',
) => `FRAUD_${rule.toUpperCase()}_${setting}`;

// --- the file --------------------------------------------------------------------------------

const fileNumber = ([min, max]: readonly [number, number]) =>
  z
    .number({ message: 'must be a number' })
    .min(min, `must be >= ${min}`)
    .max(max, `must be <= ${max}`);
const fileInt = ([min, max]: readonly [number, number]) =>
  z
    .int({ message: 'must be an integer' })
    .min(min, `must be >= ${min}`)
    .max(max, `must be <= ${max}`);

const ruleFileSchema = (limits: Limits) =>
  z.strictObject({
    enabled: z.boolean({ message: 'must be true or false' }).optional(),
    threshold: fileNumber(limits.threshold).optional(),
    window_ms: fileInt(limits.windowMs).optional(),
    severity: z
      .enum(ALERT_SEVERITIES, { message: `must be one of ${ALERT_SEVERITIES.join(', ')}` })
      .optional(),
  });

const rulesFileSchema = z.strictObject({
  rules: z
    .strictObject(
      Object.fromEntries(
        ALERT_RULES.map((rule) => [rule, ruleFileSchema(LIMITS[rule]).optional()]),
      ) as Record<AlertRule, z.ZodOptional<ReturnType<typeof ruleFileSchema>>>,
    )
    .optional(),
  outlier: z
    .strictObject({
      min_users: fileInt(OTHER_LIMITS.minUsers).optional(),
      min_events: fileInt(OTHER_LIMITS.minEvents).optional(),
    })
    .optional(),
  traffic: z
    .strictObject({
      baseline_minutes: fileInt(OTHER_LIMITS.baselineMinutes).optional(),
      min_previous_minutes: fileInt(OTHER_LIMITS.minPreviousMinutes).optional(),
      min_mean: fileNumber(OTHER_LIMITS.minMean).optional(),
    })
    .optional(),
});

export type FraudRulesFile = z.infer<typeof rulesFileSchema>;

/** Reads and checks the rules file inside the env schema, so boot names FRAUD_RULES_FILE on any fault. */
const rulesFile = () =>
  z
    .string()
    .min(1, 'must not be empty')
    .optional()
    .transform((path, ctx): FraudRulesFile | undefined => {
      if (path === undefined) return undefined;
      const fail = (message: string) => {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        return fail(`cannot read a JSON rules file: ${(err as Error).message}`);
      }
      const parsed = rulesFileSchema.safeParse(json);
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0];
      return fail(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
    });

// --- the env shape -----------------------------------------------------------------------------

function envShape() {
  const shape: EnvShape = { FRAUD_RULES_FILE: rulesFile() };
  for (const rule of ALERT_RULES) {
    shape[ruleEnvName(rule, 'ENABLED')] = envBool();
    shape[ruleEnvName(rule, 'THRESHOLD')] = envNumber(LIMITS[rule].threshold);
    shape[ruleEnvName(rule, 'WINDOW_MS')] = envInt(LIMITS[rule].windowMs);
    shape[ruleEnvName(rule, 'SEVERITY')] = envSeverity();
  }
  shape.FRAUD_OUTLIER_MIN_USERS = envInt(OTHER_LIMITS.minUsers);
  shape.FRAUD_OUTLIER_MIN_EVENTS = envInt(OTHER_LIMITS.minEvents);
  shape.FRAUD_TRAFFIC_BASELINE_MINUTES = envInt(OTHER_LIMITS.baselineMinutes);
  shape.FRAUD_TRAFFIC_MIN_PREVIOUS_MINUTES = envInt(OTHER_LIMITS.minPreviousMinutes);
  shape.FRAUD_TRAFFIC_MIN_MEAN = envNumber(OTHER_LIMITS.minMean);
  return shape;
}

export const FRAUD_ENV_SHAPE = envShape();

type EnvValues = Record<string, unknown> & { FRAUD_RULES_FILE?: FraudRulesFile };

/** First defined value: env over file over default. */
function pick<T>(...values: Array<T | undefined>): T {
  return values.find((v) => v !== undefined) as T;
}

/** Defaults ← file ← env, then the checks that span settings. */
export function buildFraudConfig(values: EnvValues): FraudConfig {
  const file = values.FRAUD_RULES_FILE ?? {};
  const rules = {} as Record<AlertRule, RuleConfig>;
  for (const rule of ALERT_RULES) {
    const d = DEFAULT_FRAUD_CONFIG.rules[rule];
    const f = file.rules?.[rule] ?? {};
    rules[rule] = {
      enabled: pick(
        values[ruleEnvName(rule, 'ENABLED')] as boolean | undefined,
        f.enabled,
        d.enabled,
      ),
      threshold: pick(
        values[ruleEnvName(rule, 'THRESHOLD')] as number | undefined,
        f.threshold,
        d.threshold,
      ),
      windowMs: pick(
        values[ruleEnvName(rule, 'WINDOW_MS')] as number | undefined,
        f.window_ms,
        d.windowMs,
      ),
      severity: pick(
        values[ruleEnvName(rule, 'SEVERITY')] as RuleConfig['severity'] | undefined,
        f.severity,
        d.severity,
      ),
    };
  }
  const o = DEFAULT_FRAUD_CONFIG.outlier;
  const t = DEFAULT_FRAUD_CONFIG.traffic;
  const cfg: FraudConfig = {
    rules,
    outlier: {
      minUsers: pick(
        values.FRAUD_OUTLIER_MIN_USERS as number | undefined,
        file.outlier?.min_users,
        o.minUsers,
      ),
      minEvents: pick(
        values.FRAUD_OUTLIER_MIN_EVENTS as number | undefined,
        file.outlier?.min_events,
        o.minEvents,
      ),
    },
    traffic: {
      baselineMinutes: pick(
        values.FRAUD_TRAFFIC_BASELINE_MINUTES as number | undefined,
        file.traffic?.baseline_minutes,
        t.baselineMinutes,
      ),
      minPreviousMinutes: pick(
        values.FRAUD_TRAFFIC_MIN_PREVIOUS_MINUTES as number | undefined,
        file.traffic?.min_previous_minutes,
        t.minPreviousMinutes,
      ),
      minMean: pick(
        values.FRAUD_TRAFFIC_MIN_MEAN as number | undefined,
        file.traffic?.min_mean,
        t.minMean,
      ),
    },
  };
  if (cfg.traffic.minPreviousMinutes > cfg.traffic.baselineMinutes) {
    // The baseline never holds more minutes than it looks back: the traffic rules could never judge.
    throw new ConfigValidationError(
      'FRAUD_TRAFFIC_MIN_PREVIOUS_MINUTES',
      `Invalid fraud config: FRAUD_TRAFFIC_MIN_PREVIOUS_MINUTES (${cfg.traffic.minPreviousMinutes}) must be <= FRAUD_TRAFFIC_BASELINE_MINUTES (${cfg.traffic.baselineMinutes})`,
    );
  }
  return cfg;
}

/** The fraud config from an environment (process.env at boot; any object in tests). */
export function loadFraudConfig(env: NodeJS.ProcessEnv): FraudConfig {
  return buildFraudConfig(parseEnv(FRAUD_ENV_SHAPE, env));
}

export const fraudConfig = defineConfig('fraud', FRAUD_ENV_SHAPE, (values) =>
  buildFraudConfig(values as EnvValues),
);

export type { FraudConfig };
export type FraudConfigType = ConfigType<typeof fraudConfig>;
