import { readFileSync } from 'node:fs';
import { ConfigType } from '@nestjs/config';
import { z } from 'zod';
import {
  ALERT_RULES,
  boundedInt,
  boundedNumber,
  AlertRule,
  RULE_LIMITS,
  RuleSettingField,
  RuleSource,
  ruleSettingsPatchSchema,
  severitySchema,
} from '@clickstream/contracts';
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

/** Bounds of the settings that are not per rule (each rule's are contracts' RULE_LIMITS, shared with PUT /v1/rules). */
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

/** FRAUD_CLICK_FLOOD_THRESHOLD, ... */
export const ruleEnvName = (
  rule: AlertRule,
  setting: 'ENABLED' | 'THRESHOLD' | 'WINDOW_MS' | 'SEVERITY',
) => `FRAUD_${rule.toUpperCase()}_${setting}`;

// --- the file --------------------------------------------------------------------------------

const rulesFileSchema = z.strictObject({
  rules: z
    .strictObject(
      Object.fromEntries(
        ALERT_RULES.map((rule) => [rule, ruleSettingsPatchSchema(rule).optional()]),
      ) as Record<AlertRule, z.ZodOptional<ReturnType<typeof ruleSettingsPatchSchema>>>,
    )
    .optional(),
  outlier: z
    .strictObject({
      min_users: boundedInt(OTHER_LIMITS.minUsers).optional(),
      min_events: boundedInt(OTHER_LIMITS.minEvents).optional(),
    })
    .optional(),
  traffic: z
    .strictObject({
      baseline_minutes: boundedInt(OTHER_LIMITS.baselineMinutes).optional(),
      min_previous_minutes: boundedInt(OTHER_LIMITS.minPreviousMinutes).optional(),
      min_mean: boundedNumber(OTHER_LIMITS.minMean).optional(),
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
    shape[ruleEnvName(rule, 'THRESHOLD')] = envNumber(RULE_LIMITS[rule].threshold);
    shape[ruleEnvName(rule, 'WINDOW_MS')] = envInt(RULE_LIMITS[rule].windowMs);
    shape[ruleEnvName(rule, 'SEVERITY')] = severitySchema.optional();
  }
  shape.FRAUD_OUTLIER_MIN_USERS = envInt(OTHER_LIMITS.minUsers);
  shape.FRAUD_OUTLIER_MIN_EVENTS = envInt(OTHER_LIMITS.minEvents);
  shape.FRAUD_TRAFFIC_BASELINE_MINUTES = envInt(OTHER_LIMITS.baselineMinutes);
  shape.FRAUD_TRAFFIC_MIN_PREVIOUS_MINUTES = envInt(OTHER_LIMITS.minPreviousMinutes);
  shape.FRAUD_TRAFFIC_MIN_MEAN = envNumber(OTHER_LIMITS.minMean);
  return shape;
}

export const FRAUD_ENV_SHAPE = envShape();

type RuleSources = Record<RuleSettingField, Exclude<RuleSource, 'runtime'>>;

type EnvValues = Record<string, unknown> & { FRAUD_RULES_FILE?: FraudRulesFile };

/** First defined value: env over file over default. */
function pick<T>(...values: Array<T | undefined>): T {
  return values.find((v) => v !== undefined) as T;
}

const SETTING_ENV: Record<RuleSettingField, 'ENABLED' | 'THRESHOLD' | 'WINDOW_MS' | 'SEVERITY'> = {
  enabled: 'ENABLED',
  threshold: 'THRESHOLD',
  window_ms: 'WINDOW_MS',
  severity: 'SEVERITY',
};
const SETTING_KEY: Record<RuleSettingField, keyof RuleConfig> = {
  enabled: 'enabled',
  threshold: 'threshold',
  window_ms: 'windowMs',
  severity: 'severity',
};

/** One rule's settings, env over file over default, and where each came from. */
function ruleFromLayers(
  rule: AlertRule,
  values: EnvValues,
  file: FraudRulesFile,
): { config: RuleConfig; sources: RuleSources } {
  const fromFile = file.rules?.[rule] ?? {};
  const config = { ...DEFAULT_FRAUD_CONFIG.rules[rule] };
  const sources = {} as RuleSources;
  for (const field of Object.keys(SETTING_ENV) as RuleSettingField[]) {
    const env = values[ruleEnvName(rule, SETTING_ENV[field])];
    const key = SETTING_KEY[field];
    sources[field] = env !== undefined ? 'env' : fromFile[field] !== undefined ? 'file' : 'default';
    (config as Record<string, unknown>)[key] = pick(env, fromFile[field], config[key]);
  }
  return { config, sources };
}

/** Defaults ← file ← env, then the checks that span settings. */
export function buildFraudConfig(values: EnvValues): FraudConfig {
  const file = values.FRAUD_RULES_FILE ?? {};
  const rules = {} as Record<AlertRule, RuleConfig>;
  const ruleSources = {} as Record<AlertRule, RuleSources>;
  for (const rule of ALERT_RULES) {
    const layered = ruleFromLayers(rule, values, file);
    rules[rule] = layered.config;
    ruleSources[rule] = layered.sources;
  }
  const o = DEFAULT_FRAUD_CONFIG.outlier;
  const t = DEFAULT_FRAUD_CONFIG.traffic;
  const cfg: FraudConfig = {
    rules,
    ruleSources,
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
