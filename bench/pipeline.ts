/**
 * Events/s each processor sustains on the real local broker and Postgres, next to the raw-consume
 * baseline of the same run.
 *
 *   npm run bench:pipeline [-- --events N] [--rate R] [--users U] [--event-ids generated|none] [--processors sessionizer,aggregator,fraud-detector] [--timeout S]
 *
 * --users sets the generator's user count (default 300 per event/s of --rate: 15,000 users over 200k events, dense); live cardinality
 * is --users 100000: almost every event of a batch belongs to a different user.
 *
 * One run:
 *  1. setup     unique database (migrated) and topic prefix (6 partitions); `npm run build` must have run
 *  2. produce   N generated events (tools/generate, seed 7, R events/s of event time), validated as
 *               ingest does, keyed by user_id, straight to clickstream.events.v1
 *  3. raw       a fresh kafkajs consumer group reads every record and JSON.parses it (eachBatch);
 *               timed from the first batch to the last record
 *  4. each processor in turn: ONE instance of the compiled service (dist/), started as a child
 *               process with its own group; timed from its first committed offset to all offsets
 *               committed (Postgres `stream_offsets`, polled every 100 ms): events/s = records / time;
 *               per event over the same span: the service's CPU, and the box's (all cores busy),
 *               Postgres' (every backend) and the broker's, which share the 2 cores with it
 *  5. cleanup   stop the services, delete topics and groups, drop the database
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { topicNames, topicSpecs } from '@clickstream/contracts';
import { dropDatabase, ensureDatabase, migrate } from '../libs/platform/src/database/migrate';
import {
  choiceParser,
  defineCommand,
  integer,
  list,
  number,
  oneOf,
  parseOrExit,
  UsageError,
} from '../tools/shared/args';
import { quietKafka } from '../tools/shared/quiet-kafka';
import { serviceArgv } from '../tools/shared/service-launch';
import {
  benchSettings,
  committedOffsets,
  PARTITIONS,
  processStats,
  serviceEnv,
  sleep,
} from './shared/bench-stack';
import { BoxCpu, boxCpu } from './shared/box-cpu';
import { containerMemoryWanted, serviceLaunch } from './shared/container-memory';
import { freePort } from './shared/free-port';
import { produceGenerated } from './shared/generated-events';
import { readWithKafkajs } from './shared/raw-consume';

const PROCESSORS = ['sessionizer', 'aggregator', 'fraud-detector'] as const;
/** The raw baseline's fetch size per partition, as in every recorded run. */
const RAW_MAX_BYTES_PER_PARTITION = 2 * 1024 * 1024;

export const PIPELINE_COMMAND = defineCommand({
  invocation: 'npm run bench:pipeline --',
  description: `Events/s each processor sustains on the real local broker and Postgres (one instance of the
compiled service, \`npm run build\` first), next to the raw-consume baseline of the same run.`,
  options: {
    events: integer({ min: 1, default: 200_000, description: 'generated events' }),
    rate: number({
      greaterThan: 0,
      placeholder: 'R',
      default: 50,
      description: 'events/s of event time of the generator',
    }),
    users: integer({
      min: 1,
      placeholder: 'U',
      description: "the generator's user count; live cardinality is 100000",
      defaultText: '300 per event/s of --rate (dense)',
    }),
    eventIds: oneOf(['generated', 'none'] as const, {
      default: 'generated',
      description:
        "the events' ids: the generator's, or none (minted and marked as ingest does, so the processors do not remember them)",
    }),
    processors: list(choiceParser(PROCESSORS), {
      placeholder: 'P[,P]',
      default: [...PROCESSORS],
      description: 'the processors to time, in this order',
    }),
    timeout: number({
      greaterThan: 0,
      placeholder: 'S',
      default: 600,
      description: 'seconds each processor may take',
    }),
  },
  epilog: `KAFKA_BROKERS and DATABASE_URL pick the broker and the Postgres server; BENCH_NODE_ARGS adds node
flags to the services (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"); BENCH_CONTAINER_MEMORY=1 runs each
in a memory cgroup with its docker-compose.yml limit, so V8 sizes its heap as in the container;
BENCH_DATABASE_LOCALE (e.g. en_US.utf8, the deployed postgres image's default) creates the bench's
database with that locale instead of the server's.`,
  check: (args) => {
    // A processor's group has consumed the topic in its first run: a second one would time nothing.
    const twice = args.processors.find((name, i) => args.processors.indexOf(name) !== i);
    if (twice)
      throw new UsageError(
        `--processors: names each processor once (got "${twice}" twice in "${args.processors.join(',')}")`,
        '--processors',
      );
  },
});

async function main(): Promise<void> {
  const args = parseOrExit('bench:pipeline', PIPELINE_COMMAND).values;
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const stamp = `${Date.now()}`;
  const prefix = `bench-pipeline-${stamp}.`;
  const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  dbUrl.pathname = `/clickstream_bench_pipeline_${stamp}`;
  const url = dbUrl.toString();
  const topics = topicNames(prefix);
  const kafka = quietKafka('bench-pipeline', brokers);
  const admin = kafka.admin();
  await admin.connect();
  await ensureDatabase(url, { locale: process.env.BENCH_DATABASE_LOCALE || undefined });
  await migrate(url);
  const pool = new Pool({ connectionString: url, max: 2 });
  const groups: string[] = [];
  try {
    await admin.createTopics({
      topics: topicSpecs({ partitions: PARTITIONS, replicationFactor: 1, prefix }),
    });
    console.log(
      `machine: ${cpus().length} cores; broker ${brokers}; ${PARTITIONS} partitions; ${args.events} events; ${args.users ?? 'default (dense)'} users; event ids: ${args.eventIds}${containerMemoryWanted() ? '; each processor in a memory cgroup of its docker-compose.yml limit' : ''}`,
    );

    const settings = benchSettings();
    if (Object.keys(settings).length) console.log(`settings: ${JSON.stringify(settings)}`);

    const produced = await produceGenerated(kafka, topics.events, {
      ...args,
      withoutIds: args.eventIds === 'none',
    });
    console.log(`produce: ${produced.toLocaleString()} events`);

    const rawGroup = `${prefix}raw`;
    groups.push(rawGroup);
    const read = await readWithKafkajs(kafka, topics.events, rawGroup, {
      expected: produced,
      maxBytesPerPartition: RAW_MAX_BYTES_PER_PARTITION,
      timeoutS: args.timeout,
    });
    const raw = (produced / read.elapsedMs) * 1000;
    console.log(
      `raw consume (kafkajs eachBatch + JSON.parse): ${Math.round(raw).toLocaleString()} events/s`,
    );

    const env = {
      ...process.env,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
    };
    for (const name of args.processors) {
      const group = `${prefix}clickstream-${name}`;
      groups.push(group, `${group}.outbox`);
      const result = await runProcessor(name, env, pool, group, produced, args.timeout);
      console.log(
        `${name} (1 instance): ${Math.round(result.rate).toLocaleString()} events/s = ${((result.rate / raw) * 100).toFixed(0)} % of raw; ` +
          `CPU ${result.cpuMicrosPerEvent.toFixed(1)} µs/event, peak RSS ${Math.round(result.peakRssBytes / 1e6)} MB; ` +
          `box ${result.box.machine.toFixed(1)} µs/event (Postgres ${result.box.postgres.toFixed(1)}, broker ${result.box.broker.toFixed(1)})`,
      );
    }
  } finally {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
    await pool.end();
    await dropDatabase(url).catch(() => undefined);
  }
}

async function runProcessor(
  name: string,
  env: NodeJS.ProcessEnv,
  pool: Pool,
  group: string,
  expected: number,
  timeoutS: number,
): Promise<{ rate: number; cpuMicrosPerEvent: number; peakRssBytes: number; box: BoxCpu }> {
  const port = await freePort();
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the service.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BENCH_CONTAINER_MEMORY=1: in a memory group with its container's limit (container-memory.ts).
  const launch = serviceLaunch(
    `bench-pipeline-${process.pid}-${name}`,
    name,
    serviceArgv(name, nodeArgs),
  );
  const child = spawn(launch.command, launch.args, {
    env: { ...env, ...serviceEnv(name), HTTP_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const committed = () => committedOffsets(pool, group);
    const deadline = Date.now() + timeoutS * 1000;
    let p0 = 0;
    let t0 = 0;
    let cpu0 = 0;
    let box0 = boxCpu();
    let peakRssBytes = 0;
    for (;;) {
      if (Date.now() > deadline)
        throw new Error(
          `${name} did not finish within ${timeoutS} s (${await committed()} of ${expected})`,
        );
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      const p = await committed();
      const stats = processStats(child.pid);
      peakRssBytes = Math.max(peakRssBytes, stats.rssBytes);
      if (p > 0 && t0 === 0) {
        p0 = p;
        t0 = performance.now();
        cpu0 = stats.cpuSeconds;
        box0 = boxCpu();
      }
      if (p >= expected) {
        // CPU of the service (user + system) over the timed span, per event it committed.
        const cpuMicrosPerEvent = ((stats.cpuSeconds - cpu0) * 1e6) / (p - p0);
        // What else the span cost: Postgres, the broker and the whole machine (this bench's own
        // 100 ms polling included), per event, since on 2 cores they share the processor's CPU.
        const box1 = boxCpu();
        const perEvent = (key: keyof BoxCpu) => ((box1[key] - box0[key]) * 1e6) / (p - p0);
        return {
          rate: ((p - p0) / (performance.now() - t0)) * 1000,
          cpuMicrosPerEvent,
          peakRssBytes,
          box: {
            postgres: perEvent('postgres'),
            broker: perEvent('broker'),
            generator: perEvent('generator'),
            machine: perEvent('machine'),
          },
        };
      }
      await sleep(100);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (launch.memory) {
      console.log(`  ${launch.memory.report()}`);
      launch.memory.remove();
    }
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
