import { KafkaConsumer, LibrdKafkaError, Metadata } from 'node-rdkafka';

/**
 * Each partition's log end (high watermark) as a read_uncommitted reader sees it: every record
 * written, including those of transactions whose markers are not written yet.
 *
 * Why not kafkajs' `admin.fetchTopicOffsets`: it always asks read_committed and so answers the last
 * stable offset, which trails a committed transaction until the coordinator has written its markers.
 * librdkafka's commitTransaction (ingest's 202) returns before that, and here the stale end showed
 * in about half of the probes, tens of milliseconds long. "Every processor is at the end" read
 * against that end can hold while the last acknowledged batch is still unread. Against the high
 * watermark it cannot: a processor reaches records only once their markers exist, and then the end
 * includes the markers too.
 */
export async function logEndOffsets(
  brokers: string,
  topic: string,
  timeoutMs = 10_000,
): Promise<Map<number, bigint>> {
  const consumer = new KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      // A group id is required by the client; nothing joins it (no subscribe, no commit).
      'group.id': 'clickstream-log-end-offsets',
      'isolation.level': 'read_uncommitted',
      'socket.connection.setup.timeout.ms': timeoutMs,
    },
    {},
  );
  await new Promise<Metadata>((resolve, reject) =>
    consumer.connect({ topic, timeout: timeoutMs }, (err, metadata) =>
      err ? reject(err) : resolve(metadata),
    ),
  );
  try {
    const metadata = await new Promise<Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: timeoutMs }, (err, m) =>
        err ? reject(err) : resolve(m),
      ),
    );
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? [];
    if (partitions.length === 0)
      throw new Error(`topic ${topic} has no partitions in the metadata`);
    const ends = await Promise.all(
      partitions.map(
        (p) =>
          new Promise<[number, bigint]>((resolve, reject) =>
            consumer.queryWatermarkOffsets(
              topic,
              p.id,
              timeoutMs,
              (err: LibrdKafkaError, offsets) =>
                err ? reject(err) : resolve([p.id, BigInt(offsets.highOffset)]),
            ),
          ),
      ),
    );
    return new Map(ends.sort((a, b) => a[0] - b[0]));
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
