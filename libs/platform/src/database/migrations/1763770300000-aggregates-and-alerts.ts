import { sqlMigration } from './sql-migration';

/**
 * The aggregator's and the fraud-detector's result tables (SPEC §6, §7) with indexes for the §8
 * queries. Window and product rows are per-partition partials (a partition owns its users, so
 * counts, revenue and unique users add up across partitions): readers merge them with SUM ... GROUP
 * BY, which makes results independent of the number of partitions and instances.
 */
export const AggregatesAndAlerts1763770300000 = sqlMigration('AggregatesAndAlerts1763770300000', {
  up: [
    // partition = -1: rows the finaliser writes itself (the empty `all` 1 min windows it published).
    `
      CREATE TABLE window_aggregates (
        window_size  text           NOT NULL,
        dimension    text           NOT NULL,
        window_start timestamptz    NOT NULL,
        partition    integer        NOT NULL,
        window_end   timestamptz    NOT NULL,
        events       bigint         NOT NULL,
        unique_users bigint         NOT NULL,
        purchases    bigint         NOT NULL,
        revenue      numeric(18, 2) NOT NULL,
        views        bigint         NOT NULL,
        carts        bigint         NOT NULL,
        updated_at   timestamptz    NOT NULL DEFAULT now(),
        PRIMARY KEY (window_size, dimension, window_start, partition)
      )`,
    // The finaliser reads every dimension of a size over a time range.
    `CREATE INDEX window_aggregates_size_start ON window_aggregates (window_size, window_start)`,
    `
      CREATE TABLE product_hour_aggregates (
        window_start timestamptz    NOT NULL,
        product_id   text           NOT NULL,
        partition    integer        NOT NULL,
        views        bigint         NOT NULL,
        carts        bigint         NOT NULL,
        purchases    bigint         NOT NULL,
        revenue      numeric(18, 2) NOT NULL,
        PRIMARY KEY (window_start, product_id, partition)
      )`,
    // How far each window size is final (the global watermark the finaliser acted on).
    `
      CREATE TABLE aggregate_progress (
        window_size text        PRIMARY KEY,
        final_until timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`,
    `
      CREATE TABLE alerts (
        alert_id     text             PRIMARY KEY,
        rule         text             NOT NULL,
        severity     text             NOT NULL,
        user_id      text,
        window_start timestamptz      NOT NULL,
        window_end   timestamptz      NOT NULL,
        value        double precision NOT NULL,
        threshold    double precision NOT NULL,
        detected_at  timestamptz      NOT NULL,
        evidence     jsonb            NOT NULL
      )`,
    `CREATE INDEX alerts_window ON alerts (window_start)`,
    `CREATE INDEX alerts_rule_window ON alerts (rule, window_start)`,
    `CREATE INDEX alerts_user_window ON alerts (user_id, window_start) WHERE user_id IS NOT NULL`,
    `CREATE INDEX alerts_detected ON alerts (detected_at)`,
    // Per-user event counts of open 1 h windows, for outlier_activity; deleted once evaluated.
    `
      CREATE TABLE fraud_user_activity (
        window_start timestamptz NOT NULL,
        user_id      text        NOT NULL,
        partition    integer     NOT NULL,
        events       bigint      NOT NULL,
        PRIMARY KEY (window_start, user_id)
      )`,
  ],
  down: [
    `DROP TABLE fraud_user_activity`,
    `DROP TABLE alerts`,
    `DROP TABLE aggregate_progress`,
    `DROP TABLE product_hour_aggregates`,
    `DROP TABLE window_aggregates`,
  ],
});
