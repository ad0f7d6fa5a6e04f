import { Pool } from 'pg';
import { ALERT_RULES, ruleBaselineRow, RuleBaselineRow } from '@clickstream/contracts';
import { withClient } from '@clickstream/streams';
import { FraudConfig, toRuleSettings } from '../rules/rule-config';

// The contract's columns in table order, so the INSERT, its recordset and the update agree.
const COLUMNS = Object.entries(ruleBaselineRow.columnTypes);
const NAMES = COLUMNS.map(([name]) => name);
const KEY: readonly string[] = ruleBaselineRow.primaryKey;
/** Upserts the rows in $1 (a JSON array of RuleBaselineRow), one per rule. */
const UPSERT_BASELINE = `
  INSERT INTO ${ruleBaselineRow.table} (${NAMES.join(', ')})
  SELECT ${NAMES.map((name) => `r.${name}`).join(', ')}
    FROM jsonb_to_recordset($1::jsonb) AS r(${COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})
  ON CONFLICT (${KEY.join(', ')}) DO UPDATE
    SET ${NAMES.filter((name) => !KEY.includes(name))
      .map((name) => `${name} = EXCLUDED.${name}`)
      .join(', ')}`;

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
      await client.query(UPSERT_BASELINE, [JSON.stringify(rows)]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}
