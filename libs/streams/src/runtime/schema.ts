/**
 * The runtime's Postgres tables. The application's migrations apply this DDL (libs/streams does not
 * run migrations itself). `stream_offsets` predates it and gains the fencing epoch, the outbox
 * sequence and the watermark here.
 */
export const STREAMS_SCHEMA_UP = [
  `ALTER TABLE stream_offsets
     ALTER COLUMN next_offset DROP NOT NULL,
     ADD COLUMN epoch bigint NOT NULL DEFAULT 0,
     ADD COLUMN next_seq bigint NOT NULL DEFAULT 0,
     ADD COLUMN watermark bigint,
     ADD COLUMN watermark_state jsonb,
     ADD COLUMN last_input_at timestamptz`,
  `CREATE TABLE stream_state (
     app_id    text    NOT NULL,
     topic     text    NOT NULL,
     partition integer NOT NULL,
     store     text    NOT NULL,
     key       text    NOT NULL,
     value     jsonb   NOT NULL,
     PRIMARY KEY (app_id, topic, partition, store, key)
   )`,
  `CREATE TABLE stream_outbox (
     app_id       text    NOT NULL,
     topic        text    NOT NULL,
     partition    integer NOT NULL,
     seq          bigint  NOT NULL,
     target_topic text    NOT NULL,
     key          text,
     value        text    NOT NULL,
     PRIMARY KEY (app_id, topic, partition, seq)
   )`,
];

export const STREAMS_SCHEMA_DOWN = [
  `DROP TABLE stream_outbox`,
  `DROP TABLE stream_state`,
  `ALTER TABLE stream_offsets
     DROP COLUMN epoch, DROP COLUMN next_seq, DROP COLUMN watermark, DROP COLUMN watermark_state,
     DROP COLUMN last_input_at`,
];

/**
 * State values as their JSON in UTF-8 rather than jsonb (see stateCtes in task-repository.ts): a
 * smaller row and no jsonb parse per value on commit. The type change resets the column's
 * compression; the platform migration sets lz4 again.
 */
export const STREAMS_STATE_BYTEA_UP = [
  `ALTER TABLE stream_state ALTER COLUMN value TYPE bytea USING convert_to(value::text, 'UTF8')`,
];

export const STREAMS_STATE_BYTEA_DOWN = [
  `ALTER TABLE stream_state ALTER COLUMN value TYPE jsonb USING convert_from(value, 'UTF8')::jsonb`,
];

/**
 * Ids a source's dedupe remembers (core/dedupe.ts): one row per id first seen, written in the commit
 * that moves the offset and forgotten once the watermark is a horizon past its event time (hence
 * the index). `task` is a 64-bit hash of (app_id, topic, partition) and `fingerprint` a 53-bit one
 * of the content: a row is 214 bytes with its indexes, against 463 with the three text columns in both
 * indexes, and the table holds every id of the horizon (24 h by default) per processor.
 */
export const STREAMS_DEDUPE_UP = [
  `CREATE TABLE stream_dedupe (
     task        bigint NOT NULL,
     id          text   NOT NULL,
     fingerprint bigint NOT NULL,
     event_time  bigint NOT NULL,
     PRIMARY KEY (task, id)
   )`,
  `CREATE INDEX stream_dedupe_event_time ON stream_dedupe (task, event_time)`,
];

export const STREAMS_DEDUPE_DOWN = [`DROP TABLE stream_dedupe`];

/**
 * A task's state changes as a log (runtime/state-changelog.ts): one row per commit holding all of
 * its changes, replayed over `stream_state` on restore, and deleted once its keys have reached
 * `stream_state`. Keys compared as bytes, as every runtime key is; the rows are large and compress
 * well, hence lz4 where the server has it.
 */
export const STREAMS_STATE_LOG_UP = [
  `CREATE TABLE stream_state_log (
     app_id    text COLLATE "C" NOT NULL,
     topic     text COLLATE "C" NOT NULL,
     partition integer NOT NULL,
     seq       bigint  NOT NULL,
     changes   bytea   NOT NULL,
     PRIMARY KEY (app_id, topic, partition, seq)
   )`,
  `DO $$
   BEGIN
     ALTER TABLE stream_state_log ALTER COLUMN changes SET COMPRESSION lz4;
   EXCEPTION WHEN feature_not_supported THEN
     RAISE NOTICE 'lz4 not supported by this server: stream_state_log keeps pglz';
   END $$`,
];

/** Refuses while the log holds changes that `stream_state` does not have yet (dropping it would lose them). */
export const STREAMS_STATE_LOG_DOWN = [
  `DO $$
   BEGIN
     IF EXISTS (SELECT 1 FROM stream_state_log) THEN
       RAISE EXCEPTION 'stream_state_log holds state not yet in stream_state: stop the processors cleanly (their last commits empty it), or run them with STREAMS_STATE_FLUSH_INTERVAL_MS=0 until it is empty, then migrate down';
     END IF;
   END $$`,
  `DROP TABLE stream_state_log`,
];

/**
 * Every text column of the runtime's keys compared as bytes (collation "C"), as RocksDB compares
 * Kafka Streams' keys. Under the server's collation each comparison of unequal keys in a B-tree is
 * a locale-aware strcoll, and with en_US.utf8 (the postgres image's default) the processors' commits
 * cost Postgres a fifth to two thirds more per event than in byte order (BENCHMARKS.md, "The keys
 * compared as bytes"). No query of the runtime depends on a key's order beyond paging by it, which
 * uses the column's own. Rebuilds the keys' indexes under an exclusive lock.
 */
const BYTE_ORDERED_KEYS: ReadonlyArray<[table: string, columns: string[]]> = [
  ['stream_offsets', ['group_id', 'topic']],
  ['stream_state', ['app_id', 'topic', 'store', 'key']],
  ['stream_outbox', ['app_id', 'topic']],
  ['stream_dedupe', ['id']],
];

/** One ALTER TABLE per table giving its text columns `collation` (a quoted name, e.g. `"C"`). */
export const textCollationSql = (
  keys: ReadonlyArray<[table: string, columns: string[]]>,
  collation: string,
): string[] =>
  keys.map(
    ([table, columns]) =>
      `ALTER TABLE ${table} ${columns.map((c) => `ALTER COLUMN ${c} TYPE text COLLATE ${collation}`).join(', ')}`,
  );

export const STREAMS_BYTE_KEYS_UP = textCollationSql(BYTE_ORDERED_KEYS, '"C"');
export const STREAMS_BYTE_KEYS_DOWN = textCollationSql(BYTE_ORDERED_KEYS, '"default"');
