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

/** A setting that is not per rule: its key in the file, its bounds and whether it is whole. */
interface GroupSetting {
  file: string;
  bounds: readonly [number, number];
  integer: boolean;
}

const SETTING_GROUPS = ['outlier', 'traffic'] as const;
type SettingGroup = (typeof SETTING_GROUPS)[number];

/**
 * The settings that are not per rule, per group, in the order they are checked (each rule's bounds
 * are contracts' RULE_LIMITS, shared with PUT /v1/rules). The env var is FRAUD_<GROUP>_<FILE KEY>.
 */
const GROUP_SETTINGS: { [G in SettingGroup]: Record<keyof FraudConfig[G], GroupSetting> } = {
  outlier: {
    minUsers: { file: 'min_users', bounds: [1, 10_000_000], integer: true },
    minEvents: { file: 'min_events', bounds: [0, 1e12], integer: true },
  },
  traffic: {
    baselineMinutes: { file: 'baseline_minutes', bounds: [1, 24 * 60], integer: true },
    minPreviousMinutes: { file: 'min_previous_minutes', bounds: [1, 24 * 60], integer: true },
    minMean: { file: 'min_mean', bounds: [0, 1e12], integer: false },
  },
};

/** Each group's settings as [config key, setting] pairs, in table order. */
const groupSettings = (group: SettingGroup) =>
  Object.entries(GROUP_SETTINGS[group]) as Array<[string, GroupSetting]>;

/** FRAUD_OUTLIER_MIN_USERS, ... */
const groupEnvName = (group: SettingGroup, setting: GroupSetting) =>
  `FRAUD_${group.toUpperCase()}_${setting.file.toUpperCase()}`;

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

/** A group's object in the file: its settings by file key, each optional and within its bounds. */
function groupFileSchema(group: SettingGroup) {
  const shape = Object.fromEntries(
    groupSettings(group).map(([, setting]) => {
      const bounded = setting.integer ? boundedInt : boundedNumber;
      return [setting.file, bounded(setting.bounds).optional()];
    }),
  );
  return z.strictObject(shape).optional();
}

const rulesFileSchema = z.strictObject({
  rules: z
    .strictObject(
      Object.fromEntries(
        ALERT_RULES.map((rule) => [rule, ruleSettingsPatchSchema(rule).optional()]),
      ) as Record<AlertRule, z.ZodOptional<ReturnType<typeof ruleSettingsPatchSchema>>>,
    )
    .optional(),
  outlier: groupFileSchema('outlier'),
  traffic: groupFileSchema('traffic'),
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
  for (const group of SETTING_GROUPS) {
    for (const [, setting] of groupSettings(group)) {
      const env = setting.integer ? envInt : envNumber;
      shape[groupEnvName(group, setting)] = env(setting.bounds);
    }
  }
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

/** One group's settings, env over file over default. */
function groupFromLayers<G extends SettingGroup>(
  group: G,
  values: EnvValues,
  file: FraudRulesFile,
): FraudConfig[G] {
  const fromFile: Record<string, number | undefined> = file[group] ?? {};
  const settings = { ...DEFAULT_FRAUD_CONFIG[group] };
  const byKey = settings as unknown as Record<string, number>;
  for (const [key, setting] of groupSettings(group)) {
    const env = values[groupEnvName(group, setting)] as number | undefined;
    byKey[key] = pick(env, fromFile[setting.file], byKey[key]);
  }
  return settings;
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
  const cfg: FraudConfig = {
    rules,
    ruleSources,
    outlier: groupFromLayers('outlier', values, file),
    traffic: groupFromLayers('traffic', values, file),
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
