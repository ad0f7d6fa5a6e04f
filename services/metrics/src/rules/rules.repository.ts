import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import {
  ALERT_RULES,
  AlertRule,
  ruleBaselineRow,
  RuleBaselineRow,
  ruleChangeRow,
  RuleChangeRow,
  RuleSettings,
  RuleSettingsPatch,
  SelectedRow,
} from '@clickstream/contracts';
import { withClient } from '@clickstream/streams';
import { PG_POOL } from '../database/pg-pool';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { bootOf, parseRulePatch, ruleView, RuleView, sameSettings } from './rule-views';

/** Serialises rule changes: revisions are assigned and committed in order, so the publisher never skips one. */
const CHANGE_LOCK = 7_215_014_001;

/** A fraud_rule_changes row as pg returns it: bigint as text. */
type ChangeRowDb = SelectedRow<typeof ruleChangeRow>;

const toChange = (r: ChangeRowDb): RuleChangeRow => ({ ...r, revision: Number(r.revision) });

const CHANGES = ruleChangeRow.table;
const CHANGE_COLUMNS = Object.keys(ruleChangeRow.columnTypes).join(', ');
const BASELINE_COLUMNS = Object.keys(ruleBaselineRow.columnTypes).join(', ');

/** What a PUT or DELETE asks for. */
export type RuleAction = { kind: 'set'; body: unknown } | { kind: 'reset' };

export interface ChangeOutcome {
  /** null: the rule already ran with these settings; nothing was stored. */
  change: RuleChangeRow | null;
  view: RuleView;
}

/** fraud_rule_baseline and fraud_rule_changes: reads for the API, and the one writer of changes. */
@Injectable()
export class RulesRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {}

  async current(): Promise<RuleView[]> {
    const { baselines, latest } = await this.read(this.pool);
    return ALERT_RULES.map((rule) => ruleView(rule, baselines.get(rule), latest.get(rule)));
  }

  async history(q: { rule?: AlertRule; limit: number; before?: number }): Promise<RuleChangeRow[]> {
    const { rows } = await this.pool.query<ChangeRowDb>(
      `SELECT ${CHANGE_COLUMNS} FROM ${CHANGES}
        WHERE ($1::text IS NULL OR rule = $1) AND ($2::bigint IS NULL OR revision < $2)
        ORDER BY revision DESC LIMIT $3`,
      [q.rule ?? null, q.before ?? null, q.limit + 1],
    );
    return rows.map(toChange);
  }

  /** Changes from `revision` on, oldest first: the rules topic's outbox. */
  async changesFrom(revision: number, limit: number): Promise<RuleChangeRow[]> {
    const { rows } = await this.pool.query<ChangeRowDb>(
      `SELECT ${CHANGE_COLUMNS} FROM ${CHANGES} WHERE revision >= $1 ORDER BY revision LIMIT $2`,
      [revision, limit],
    );
    return rows.map(toChange);
  }

  /**
   * Stores one change under the change lock: the rule's settings before it, after it (the body over
   * the current settings, or the boot config for a reset) and who made it. Validation happens
   * inside, against the settings current under the lock, so two changes never race.
   */
  async change(rule: AlertRule, action: RuleAction, keyId: string): Promise<ChangeOutcome> {
    return withClient(this.pool, async (client) => {
      await client.query('BEGIN');
      try {
        const outcome = await this.changeInTransaction(client, rule, action, keyId);
        await client.query('COMMIT');
        return outcome;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async changeInTransaction(
    client: PoolClient,
    rule: AlertRule,
    action: RuleAction,
    keyId: string,
  ): Promise<ChangeOutcome> {
    const timeoutMs = Math.floor(this.config.rulesTimeoutMs);
    await client.query(`SET LOCAL lock_timeout = ${timeoutMs}`);
    await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [CHANGE_LOCK]);
    const { baselines, latest } = await this.read(client, rule);
    const now = ruleView(rule, baselines.get(rule), latest.get(rule));
    let after: RuleSettings;
    if (action.kind === 'set') {
      after = {
        ...now.config,
        ...(parseRulePatch(rule, action.body, now.config) as RuleSettingsPatch),
      };
      if (now.source === 'runtime' && sameSettings(after, now.config))
        return { change: null, view: now };
    } else {
      if (now.source !== 'runtime') return { change: null, view: now };
      after = bootOf(rule, baselines.get(rule)).config;
    }
    const { rows } = await client.query<ChangeRowDb>(
      `INSERT INTO ${CHANGES} (${CHANGE_COLUMNS})
       SELECT coalesce(max(revision), 0) + 1, $1, now(), $2, $3::jsonb, $4::jsonb, $5 FROM ${CHANGES}
       RETURNING ${CHANGE_COLUMNS}`,
      [rule, keyId, JSON.stringify(now.config), JSON.stringify(after), action.kind === 'reset'],
    );
    const change = toChange(rows[0]);
    return { change, view: ruleView(rule, baselines.get(rule), change) };
  }

  private async read(db: Pick<Pool, 'query'>, rule?: AlertRule) {
    const [baseline, changes] = await Promise.all([
      db.query<RuleBaselineRow>(
        `SELECT ${BASELINE_COLUMNS} FROM ${ruleBaselineRow.table} WHERE $1::text IS NULL OR rule = $1`,
        [rule ?? null],
      ),
      db.query<ChangeRowDb>(
        `SELECT DISTINCT ON (rule) ${CHANGE_COLUMNS} FROM ${CHANGES} WHERE $1::text IS NULL OR rule = $1 ORDER BY rule, revision DESC`,
        [rule ?? null],
      ),
    ]);
    return {
      baselines: new Map(baseline.rows.map((r) => [r.rule, r])),
      latest: new Map(changes.rows.map((r) => [r.rule, toChange(r)])),
    };
  }
}
