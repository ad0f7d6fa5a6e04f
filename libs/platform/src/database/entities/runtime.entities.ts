import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

const timestamptz = 'timestamp with time zone';
/** A text key compared as bytes, whatever the server's locale (migration ByteOrderedKeys1770000000000). */
const byteOrdered = { collation: 'C' } as const;

/**
 * A processor's (or global stage's) consumed offset, fencing epoch, outbox sequence and watermark
 * per topic partition: committed with its state and results in one transaction (SPEC §9).
 */
@Entity({ name: 'stream_offsets' })
export class StreamOffsetEntity {
  @PrimaryColumn('text', byteOrdered) group_id!: string;
  @PrimaryColumn('text', byteOrdered) topic!: string;
  @PrimaryColumn('integer') partition!: number;
  @Column('bigint', { nullable: true }) next_offset!: string | null;
  @Column(timestamptz, { default: () => 'now()' }) updated_at!: Date;
  @Column('bigint', { default: 0 }) epoch!: string;
  @Column('bigint', { default: 0 }) next_seq!: string;
  /** Event-time watermark in epoch ms; null before the partition's first record. */
  @Column('bigint', { nullable: true }) watermark!: string | null;
  @Column('jsonb', { nullable: true }) watermark_state!: Record<string, unknown> | null;
  @Column(timestamptz, { nullable: true }) last_input_at!: Date | null;
}

/** A stream task's rows (state, outbox) are keyed by its application and input partition first. */
abstract class TaskKeyed {
  @PrimaryColumn('text', byteOrdered) app_id!: string;
  @PrimaryColumn('text', byteOrdered) topic!: string;
  @PrimaryColumn('integer') partition!: number;
}

/** State-store entries of open windows and sessions; evicted once the watermark passed them. */
@Entity({ name: 'stream_state' })
export class StreamStateEntity extends TaskKeyed {
  @PrimaryColumn('text', byteOrdered) store!: string;
  @PrimaryColumn('text', byteOrdered) key!: string;
  /** The value's JSON in UTF-8. */
  @Column('bytea') value!: Buffer;
}

/**
 * A task's state changes, one row per commit (all of its changes, encoded by the runtime's
 * state-log-codec), replayed over stream_state on restore until its keys have reached it.
 */
@Entity({ name: 'stream_state_log' })
export class StreamStateLogEntity extends TaskKeyed {
  @PrimaryColumn('bigint') seq!: string;
  @Column('bytea') changes!: Buffer;
}

/** Messages committed but not yet confirmed on Kafka. */
@Entity({ name: 'stream_outbox' })
export class StreamOutboxEntity extends TaskKeyed {
  @PrimaryColumn('bigint') seq!: string;
  @Column('text') target_topic!: string;
  @Column('text', { nullable: true }) key!: string | null;
  @Column('text') value!: string;
}

/** Event ids a processor's dedupe remembers, until the watermark is a horizon past their event time. */
@Entity({ name: 'stream_dedupe' })
@Index('stream_dedupe_event_time', ['task', 'event_time'])
export class StreamDedupeEntity {
  /** 64-bit hash of (app_id, topic, partition): the task that remembers the id. */
  @PrimaryColumn('bigint') task!: string;
  @PrimaryColumn('text', byteOrdered) id!: string;
  /** 53-bit hash of the content (all but received_at), to tell a retry from a conflicting reuse of the id. */
  @Column('bigint') fingerprint!: string;
  /** Event time in epoch ms. */
  @Column('bigint') event_time!: string;
}
