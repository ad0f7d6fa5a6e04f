import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fraud rules at runtime (issue 14). fraud_rule_baseline: each rule's boot config as the detectors
 * loaded it (default, file, env). fraud_rule_changes: every runtime change, append-only; it is also
 * the outbox of clickstream.rules.v1 (a change is published once, in revision order).
 */
export class FraudRules1769000000000 implements MigrationInterface {
  name = 'FraudRules1769000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fraud_rule_baseline (
        rule       text        PRIMARY KEY,
        config     jsonb       NOT NULL,
        sources    jsonb       NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE fraud_rule_changes (
        revision   bigint      PRIMARY KEY,
        rule       text        NOT NULL,
        changed_at timestamptz NOT NULL,
        key_id     text        NOT NULL,
        before     jsonb       NOT NULL,
        after      jsonb       NOT NULL,
        reset      boolean     NOT NULL
      )`);
    // The current runtime config is each rule's latest change.
    await q.query(`CREATE INDEX fraud_rule_changes_rule ON fraud_rule_changes (rule, revision)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE fraud_rule_changes`);
    await q.query(`DROP TABLE fraud_rule_baseline`);
  }
}
