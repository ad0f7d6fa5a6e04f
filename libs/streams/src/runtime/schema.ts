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
 * the index). `fingerprint` is a hash of the content, to tell a retry from a conflicting reuse.
 */
export const STREAMS_DEDUPE_UP = [
  `CREATE TABLE stream_dedupe (
     app_id      text    NOT NULL,
     topic       text    NOT NULL,
     partition   integer NOT NULL,
     id          text    NOT NULL,
     fingerprint text    NOT NULL,
     event_time  bigint  NOT NULL,
     PRIMARY KEY (app_id, topic, partition, id)
   )`,
  `CREATE INDEX stream_dedupe_event_time ON stream_dedupe (app_id, topic, partition, event_time)`,
];

export const STREAMS_DEDUPE_DOWN = [`DROP TABLE stream_dedupe`];
