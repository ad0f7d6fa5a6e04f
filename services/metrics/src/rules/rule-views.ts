import { BadRequestException } from '@nestjs/common';
import {
  AlertRule,
  BOOT_ONLY_SETTINGS,
  DEFAULT_RULE_SETTINGS,
  firstIssue,
  RULE_SETTING_FIELDS,
  RULE_SOURCES,
  RuleBaselineRow,
  RuleChangeItem,
  RuleChangeRow,
  RuleSettingField,
  RuleSettings,
  RuleSettingsPatch,
  ruleSettingsPatchSchema,
  RuleSource,
  RuleView,
} from '@clickstream/contracts';

export type { RuleChangeItem, RuleView };

/** The 400 of a rule change: the field, the value and what was wrong. */
export class RuleChangeError extends BadRequestException {
  constructor(field: string, message: string) {
    super({ statusCode: 400, error: 'Bad Request', field, message: `${field}: ${message}` });
  }
}

const strongest = (sources: RuleSource[]): RuleSource =>
  sources.reduce(
    (best, s) => (RULE_SOURCES.indexOf(s) > RULE_SOURCES.indexOf(best) ? s : best),
    'default',
  );

/** The boot config of a rule: as the detectors recorded it, or the SPEC table before any booted. */
export function bootOf(
  rule: AlertRule,
  baseline?: RuleBaselineRow,
): Pick<RuleView, 'config' | 'sources'> {
  if (baseline) return { config: baseline.config, sources: baseline.sources };
  const sources = Object.fromEntries(RULE_SETTING_FIELDS.map((f) => [f, 'default'])) as Record<
    RuleSettingField,
    RuleSource
  >;
  return { config: DEFAULT_RULE_SETTINGS[rule], sources };
}

export function ruleView(
  rule: AlertRule,
  baseline?: RuleBaselineRow,
  latest?: RuleChangeRow,
): RuleView {
  const changed = {
    revision: latest?.revision ?? null,
    changed_at: latest?.changed_at.toISOString() ?? null,
    changed_by: latest?.key_id ?? null,
  };
  if (latest && !latest.reset) {
    const sources = Object.fromEntries(RULE_SETTING_FIELDS.map((f) => [f, 'runtime'])) as Record<
      RuleSettingField,
      RuleSource
    >;
    return { rule, config: latest.after, source: 'runtime', sources, ...changed };
  }
  const boot = bootOf(rule, baseline);
  return { rule, ...boot, source: strongest(Object.values(boot.sources)), ...changed };
}

export function changeItem(row: RuleChangeRow): RuleChangeItem {
  return {
    revision: row.revision,
    rule: row.rule,
    action: row.reset ? 'reset' : 'set',
    changed_at: row.changed_at.toISOString(),
    changed_by: row.key_id,
    before: row.before,
    after: row.after,
  };
}

/**
 * A PUT body checked with the rules file's schema (the same bounds as boot config). 400 names the
 * field and the value; a setting fixed at boot may only be sent with its current value.
 */
export function parseRulePatch(
  rule: AlertRule,
  body: unknown,
  current: RuleSettings,
): RuleSettingsPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new RuleChangeError(
      '(body)',
      'must be a JSON object of settings, e.g. {"threshold": 80}',
    );
  const parsed = ruleSettingsPatchSchema(rule).safeParse(body);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error);
    const value = (body as Record<string, unknown>)[field];
    throw new RuleChangeError(
      field,
      value === undefined ? message : `${message} (got ${JSON.stringify(value)?.slice(0, 60)})`,
    );
  }
  const patch = parsed.data;
  if (Object.keys(patch).length === 0)
    throw new RuleChangeError(
      '(body)',
      `must set at least one of ${RULE_SETTING_FIELDS.join(', ')}`,
    );
  for (const field of BOOT_ONLY_SETTINGS[rule] ?? []) {
    if (patch[field] !== undefined && patch[field] !== current[field]) {
      throw new RuleChangeError(
        field,
        `is fixed at boot for ${rule} (got ${JSON.stringify(patch[field])}, running ${JSON.stringify(current[field])}); set it in the detectors' config and restart them`,
      );
    }
  }
  return patch;
}

export const sameSettings = (a: RuleSettings, b: RuleSettings): boolean =>
  RULE_SETTING_FIELDS.every((f) => a[f] === b[f]);
