import { AlertRule, RuleRecord } from '@clickstream/contracts';
import { FraudConfig, FraudConfigSource, RuleConfig, toRuleConfig } from '../rules/rule-config';

export interface AppliedChange {
  rule: AlertRule;
  revision: number | null;
  before: RuleConfig;
  after: RuleConfig;
}

/**
 * The detector's config as of now: the boot config (default, file, env) with each rule's latest
 * record of clickstream.rules.v1 on top. The rules read `source()` on every input; a change swaps
 * in a new FraudConfig object, so a rule sees either the old or the new settings, never a mix.
 */
export class LiveFraudConfig {
  private config: FraudConfig;
  private readonly revisions = new Map<AlertRule, number>();
  /** Highest revision applied (0: none). */
  revision = 0;

  constructor(private readonly boot: FraudConfig) {
    this.config = boot;
  }

  readonly source: FraudConfigSource = () => this.config;

  /**
   * Applies a record (null: a tombstone of `rule`, back to the boot config). A record not newer than
   * the rule's last one is a repeat and changes nothing.
   */
  apply(rule: AlertRule, record: RuleRecord | null): AppliedChange | undefined {
    const known = this.revisions.get(rule) ?? 0;
    if (record && record.revision <= known) return undefined;
    if (record) this.revisions.set(rule, record.revision);
    else this.revisions.delete(rule);
    this.revision = Math.max(this.revision, record?.revision ?? 0);
    const before = this.config.rules[rule];
    const after = record?.config ? toRuleConfig(record.config) : this.boot.rules[rule];
    this.config = { ...this.config, rules: { ...this.config.rules, [rule]: after } };
    return { rule, revision: record?.revision ?? null, before, after };
  }
}
