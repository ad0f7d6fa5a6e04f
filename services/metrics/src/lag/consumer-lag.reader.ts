import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { KafkaClient } from '@clickstream/platform';
import { PG_POOL } from '../database/pg-pool';
import { CommittedOffset, PartitionEnds } from './consumer-lag';

export interface LagInputs {
  committed: CommittedOffset[];
  ends: PartitionEnds[];
}

/**
 * Where each group stands. The processors commit their offsets in Postgres (stream_offsets, in the
 * same transaction as their results; the Kafka group offset is only a hint), so a group with rows
 * there is read from Postgres; any other group from its Kafka consumer-group offsets.
 */
@Injectable()
export class ConsumerLagReader {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly kafka: KafkaClient,
  ) {}

  async read(groups: readonly string[]): Promise<LagInputs> {
    const fromPostgres = await this.postgresOffsets(groups);
    const known = new Set(fromPostgres.map((c) => c.group));
    const fromKafka = await Promise.all(
      groups.filter((g) => !known.has(g)).map((g) => this.kafkaOffsets(g)),
    );
    const committed = [...fromPostgres, ...fromKafka.flat()];
    const topics = [...new Set(committed.map((c) => c.topic))];
    const ends = await Promise.all(topics.map((t) => this.topicEnds(t)));
    return { committed, ends: ends.flat() };
  }

  private async postgresOffsets(groups: readonly string[]): Promise<CommittedOffset[]> {
    // Primary key (group_id, topic, partition): an index range per group.
    const { rows } = await this.pool.query<{
      group_id: string;
      topic: string;
      partition: number;
      next_offset: string | null;
    }>(
      `SELECT group_id, topic, partition, next_offset FROM stream_offsets WHERE group_id = ANY($1::text[])`,
      [groups],
    );
    return rows.map((r) => ({
      group: r.group_id,
      topic: r.topic,
      partition: r.partition,
      offset: r.next_offset === null ? null : BigInt(r.next_offset),
    }));
  }

  private async kafkaOffsets(groupId: string): Promise<CommittedOffset[]> {
    const admin = await this.kafka.adminClient();
    const topics = await admin.fetchOffsets({ groupId });
    return topics.flatMap((t) =>
      t.partitions.map((p) => ({
        group: groupId,
        topic: t.topic,
        partition: p.partition,
        offset: Number(p.offset) < 0 ? null : BigInt(p.offset),
      })),
    );
  }

  private async topicEnds(topic: string): Promise<PartitionEnds[]> {
    const admin = await this.kafka.adminClient();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((o) => ({
        topic,
        partition: o.partition,
        low: BigInt(o.low),
        high: BigInt(o.high),
      }));
    } catch {
      // A deleted topic still named in stream_offsets: nothing to measure.
      return [];
    }
  }
}
