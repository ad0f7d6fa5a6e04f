/**
 * The consume path alone, kafkajs against librdkafka (node-rdkafka), as a processor would read its
 * input: read_committed, from the beginning, JSON.parse of every value. Issue 16 asks whether a
 * native consumer would lift the processors; this answers what the consuming itself costs.
 *
 *   npm run bench:consumers [-- --events 200000] [--rounds 3] [--users U]
 *
 * One run:
 *  1. produce   N generated events (tools/generate, seed 7), keyed by user_id, to a fresh topic of
 *               6 partitions (as bench:pipeline does)
 *  2. rounds    each round reads the whole topic once with each client, in alternating order, each
 *               time with a fresh group; timed from the first record to the N-th. Prints events/s,
 *               the process's CPU per event (all threads: librdkafka's own included) and the main
 *               thread's busy time per event (event-loop utilisation), which is what a processor's
 *               single thread would give up to consuming
 *  3. cleanup   delete the topic and the groups
 */
import { cpus } from 'node:os';
import { KafkaConsumer, LibrdKafkaError, Message } from 'node-rdkafka';
import { withTimeout } from '@clickstream/streams';
import { defineCommand, integer, parseOrExit, Values } from '../tools/shared/args';
import { quietKafka } from '../tools/shared/quiet-kafka';
import { PARTITIONS } from './shared/bench-stack';
import { produceGenerated } from './shared/generated-events';
import { ReadResult, ReadTimer, readWithKafkajs } from './shared/raw-consume';

/** The runtime's default fetch size per partition (streams-app-options.ts). */
const MAX_BYTES_PER_PARTITION = 1_048_576;

export const CONSUMERS_COMMAND = defineCommand({
  invocation: 'npm run bench:consumers --',
  description: `The consume path alone: kafkajs (eachBatch) against librdkafka (node-rdkafka consume(n)),
read_committed, JSON.parse of every value.`,
  options: {
    events: integer({ min: 1, default: 200_000, description: 'generated events' }),
    rounds: integer({ min: 1, default: 3, description: 'reads of the topic per client' }),
    users: integer({
      min: 1,
      placeholder: 'U',
      description: "the generator's user count",
      defaultText: 'dense, as bench:pipeline',
    }),
    rdkafkaBatch: integer({
      min: 1,
      default: 1_000,
      description: 'messages one node-rdkafka consume() call hands over at most',
    }),
    timeout: integer({ min: 1, default: 300, description: 'seconds one read may take' }),
  },
  epilog: 'KAFKA_BROKERS picks the broker.',
});

type Args = Values<typeof CONSUMERS_COMMAND.options>;

/** node-rdkafka's KafkaConsumer in batch mode: consume(n) in a loop, read_committed. */
async function viaLibrdkafka(
  brokers: string,
  topic: string,
  groupId: string,
  args: Args,
): Promise<ReadResult> {
  const consumer = new KafkaConsumer(
    {
      'group.id': groupId,
      'client.id': 'bench-consumers',
      'metadata.broker.list': brokers,
      'enable.auto.commit': false,
      'isolation.level': 'read_committed',
      'max.partition.fetch.bytes': MAX_BYTES_PER_PARTITION,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  const timer = new ReadTimer(args.events);
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 30_000 }, (err: LibrdKafkaError) =>
      err ? reject(err) : resolve(),
    ),
  );
  try {
    consumer.setDefaultConsumeTimeout(100);
    consumer.subscribe([topic]);
    const reading = new Promise<void>((resolve, reject) => {
      const next = () =>
        consumer.consume(args.rdkafkaBatch, (err: LibrdKafkaError, messages: Message[]) => {
          if (err) return reject(err);
          if (timer.read(messages.map((m) => m.value))) return resolve();
          next();
        });
      next();
    });
    return await timer.within(reading, args.timeout, 'librdkafka read');
  } finally {
    // A broker gone mid-run must not hang the bench: the disconnect gets 30 s, as any other wait.
    await withTimeout(
      new Promise((resolve) => consumer.disconnect(resolve)),
      30_000,
      'librdkafka disconnect',
    ).catch((err: Error) => console.error(err.message));
  }
}

function report(client: string, round: number, events: number, result: ReadResult): void {
  const perEvent = (ms: number) => ((ms * 1000) / events).toFixed(2);
  console.log(
    `round ${round} ${client.padEnd(10)} ${Math.round((events / result.elapsedMs) * 1000)
      .toLocaleString('en-US')
      .padStart(9)} events/s; ` +
      `process CPU ${perEvent(result.cpuMs)} µs/event (all threads), main thread ${perEvent(result.mainThreadMs)} µs/event`,
  );
}

async function main(): Promise<void> {
  const args = parseOrExit('bench:consumers', CONSUMERS_COMMAND).values;
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const prefix = `bench-consumers-${Date.now()}`;
  const topic = `${prefix}.events`;
  const kafka = quietKafka('bench-consumers', brokers);
  const admin = kafka.admin();
  await admin.connect();
  const groups: string[] = [];
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const produced = await produceGenerated(kafka, topic, {
      events: args.events,
      rate: 50,
      users: args.users,
    });
    console.log(
      `machine: ${cpus().length} cores; broker ${brokers}; ${PARTITIONS} partitions; ${produced} events; ${args.users ?? 'default (dense)'} users`,
    );
    for (let round = 1; round <= args.rounds; round++) {
      const order = round % 2 === 1 ? ['kafkajs', 'librdkafka'] : ['librdkafka', 'kafkajs'];
      for (const client of order) {
        const groupId = `${prefix}.${client}.${round}`;
        groups.push(groupId);
        const result =
          client === 'kafkajs'
            ? await readWithKafkajs(kafka, topic, groupId, {
                expected: produced,
                maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
                timeoutS: args.timeout,
              })
            : await viaLibrdkafka(brokers, topic, groupId, { ...args, events: produced });
        report(client, round, produced, result);
      }
    }
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`bench failed: ${err.message}`);
    process.exit(1);
  });
}
