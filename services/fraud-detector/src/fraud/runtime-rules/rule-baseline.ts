import { Pool } from 'pg';
import { ALERT_RULES, RuleBaselineRow } from '@clickstream/contracts';
import { withClient } from '@clickstream/streams';
import { FraudConfig, toRuleSettings } from '../rules/rule-config';

export const RULE_BASELINE_TABLE = 'fraud_rule_baseline';

/** The rows of fraud_rule_baseline for a boot config. */
export function baselineRows(cfg: FraudConfig, now: Date): RuleBaselineRow[] {
  return ALERT_RULES.map((rule) => ({
    rule,
    config: toRuleSettings(cfg.rules[rule]),
    sources: cfg.ruleSources?.[rule] ?? {
      enabled: 'default',
      threshold: 'default',
      window_ms: 'default',
      severity: 'default',
    },
    updated_at: now,
  }));
}

/**
 * Records the boot config (and where each setting came from) for the metrics API's GET /v1/rules:
 * the detector is the only process that reads FRAUD_* and FRAUD_RULES_FILE. Detectors are meant
 * to share one config; should they differ, the last one booted is shown.
 */
export async function writeRuleBaseline(
  pool: Pool,
  cfg: FraudConfig,
  timeoutMs = 5_000,
): Promise<void> {
  const rows = baselineRows(cfg, new Date());
  await withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
      await client.query(
        `INSERT INTO ${RULE_BASELINE_TABLE} (rule, config, sources, updated_at)
         SELECT r.rule, r.config, r.sources, r.updated_at
           FROM jsonb_to_recordset($1::jsonb) AS r(rule text, config jsonb, sources jsonb, updated_at timestamptz)
         ON CONFLICT (rule) DO UPDATE SET config = EXCLUDED.config, sources = EXCLUDED.sources, updated_at = EXCLUDED.updated_at`,
        [JSON.stringify(rows)],
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}
