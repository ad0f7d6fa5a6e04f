import { sqlMigration } from './sql-migration';

/**
 * Fraud rules at runtime (issue 14). fraud_rule_baseline: each rule's boot config as the detectors
 * loaded it (default, file, env). fraud_rule_changes: every runtime change, append-only; it is also
 * the outbox of clickstream.rules.v1 (a change is published once, in revision order).
 */
export const FraudRules1769000000000 = sqlMigration('FraudRules1769000000000', {
  up: [
    `
      CREATE TABLE fraud_rule_baseline (
        rule       text        PRIMARY KEY,
        config     jsonb       NOT NULL,
        sources    jsonb       NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
    `
      CREATE TABLE fraud_rule_changes (
        revision   bigint      PRIMARY KEY,
        rule       text        NOT NULL,
        changed_at timestamptz NOT NULL,
        key_id     text        NOT NULL,
        before     jsonb       NOT NULL,
        after      jsonb       NOT NULL,
        reset      boolean     NOT NULL
      )`,
    // The current runtime config is each rule's latest change.
    `CREATE INDEX fraud_rule_changes_rule ON fraud_rule_changes (rule, revision)`,
  ],
  down: [`DROP TABLE fraud_rule_changes`, `DROP TABLE fraud_rule_baseline`],
});
