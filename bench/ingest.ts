/**
 * Ingest throughput, end to end: events/s accepted AND acknowledged by Kafka (a 202 is sent only
 * after the Kafka transaction holding the request's events committed).
 *
 *   npm run bench:ingest [-- --duration 20] [--connections <16 × cores>] [--batch 500] [--instances <cores>]
 *
 * Starts the compiled ingest service (`npm run build` first) on a free port with a private topic
 * prefix, drives it with autocannon (batched NDJSON of `--batch` events per request, each request
 * distinct), then counts what reached the events topic and cleans up. The broker is the local one
 * (`npm run kafka:start`) or KAFKA_BROKERS.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { Kafka } from 'kafkajs';
import { topicNames } from '@clickstream/contracts';
import { migrate } from '../libs/platform/src/database/migrate';
import { defineCommand, integer, parseOrExit, Values } from '../tools/shared/args';
import { quietKafka } from '../tools/shared/quiet-kafka';
import { serviceArgv } from '../tools/shared/service-launch';
import { freePort } from './shared/free-port';

/** Requests per instance before the timed load. */
const WARMUP_REQUESTS = 40;

// One ingest process per core, as README's scaling advice (Node runs a process's JS on one core),
// each driven by 16 connections.
export const INGEST_COMMAND = defineCommand({
  invocation: 'npm run bench:ingest --',
  description: `Ingest throughput, end to end: events/s accepted AND acknowledged by Kafka. Starts the compiled
ingest service (\`npm run build\` first) with a private topic prefix, drives it with autocannon (NDJSON
batches, each request distinct), then counts what reached the events topic and cleans up.`,
  options: {
    duration: integer({ min: 1, placeholder: 'S', default: 20, description: 'seconds of load' }),
    connections: integer({
      min: 1,
      default: 16 * cpus().length,
      description: 'connections over all instances',
      defaultText: '16 × cores',
    }),
    batch: integer({ min: 1, default: 500, description: 'events per request' }),
    bodies: integer({ min: 1, default: 64, description: 'distinct request bodies cycled through' }),
    instances: integer({
      min: 1,
      default: cpus().length,
      description: 'ingest processes (replicas behind a balancer)',
      defaultText: 'cores',
    }),
  },
  epilog: `KAFKA_BROKERS and DATABASE_URL pick the broker and Postgres; BENCH_NODE_ARGS adds node flags to
the services (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").`,
});

type Args = Values<typeof INGEST_COMMAND.options>;

/** A realistic ~250-byte event; every body is distinct (users, products, times). */
function body(seed: number, batch: number): string {
  const lines: string[] = [];
  const now = Date.now() - 3_600_000;
  const types = ['page_view', 'view', 'view', 'view', 'click', 'search', 'cart', 'purchase'];
  for (let i = 0; i < batch; i++) {
    const n = seed * batch + i;
    lines.push(
      JSON.stringify({
        event_time: new Date(now + n).toISOString(),
        event_type: types[n % types.length],
        user_id: `bench-user-${n % 5000}`,
        session_id: `s-${n % 20000}`,
        product_id: String(100000 + (n % 7919)),
        category_code: 'electronics.smartphone',
        brand: 'acme',
        price: (n % 1000) + 0.99,
        ip: `10.${n % 250}.${n % 200}.${n % 100}`,
        country: 'DE',
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
        page_url: `/p/${n % 7919}`,
      }),
    );
  }
  return lines.join('\n');
}

async function topicCount(
  kafka: Kafka,
  topic: string,
): Promise<{ records: number; unique: number }> {
  // High watermarks count records plus transaction markers: subtract one marker per committed
  // transaction per partition is not knowable, so count by consuming (read_committed).
  const consumer = kafka.consumer({ groupId: `bench-count-${randomBytes(4).toString('hex')}` });
  const admin = kafka.admin();
  await Promise.all([consumer.connect(), admin.connect()]);
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]),
  );
  let count = 0;
  const ids = new Set<string>();
  const reached = new Set<number>();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((done) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (reached.has(batch.partition)) return; // only re-deliveries after the end: not counted twice
        count += batch.messages.length;
        for (const m of batch.messages)
          ids.add((JSON.parse(m.value!.toString()) as { event_id: string }).event_id);
        // Positions move past control records too: done once every partition reached its end.
        if (BigInt(batch.lastOffset()) + 2n >= ends.get(batch.partition)!)
          reached.add(batch.partition);
        if (reached.size === ends.size) done();
      },
    });
  });
  await Promise.all([consumer.disconnect(), admin.disconnect()]);
  return { records: count, unique: ids.size };
}

/** Waits until the service has no events queued or in a Kafka flush (requests cut off by the stop). */
async function drained(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const text = await fetch(`${url}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    if (/^ingest_backlog_events(\{[^}]*\})? 0$/m.test(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not drain its producer backlog within 30 s`);
}

async function main(): Promise<void> {
  const args = parseOrExit('bench:ingest', INGEST_COMMAND).values;
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/clickstream';
  await migrate(databaseUrl); // readiness checks Postgres too
  const prefix = `bench.${Date.now()}.`;
  const { children, urls } = await startInstances(args.instances, {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
  });
  const kafka = quietKafka('bench-ingest', brokers);
  const topics = topicNames(prefix);
  try {
    await waitReady(urls, children);
    const load = await drive(urls, args);
    for (const url of urls) await drained(url);
    const counted = await topicCount(kafka, topics.events);
    report(args, brokers, urls.length, load, counted);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Several instances, as replicas behind a load balancer: each is one Node process (one core). */
async function startInstances(
  count: number,
  env: NodeJS.ProcessEnv,
): Promise<{ children: ChildProcess[]; urls: string[] }> {
  // Ingest's own node flags (as `npm run start:ingest` and compose use), then BENCH_NODE_ARGS, e.g.
  // "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the service under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    children.push(
      spawn(process.execPath, serviceArgv('ingest', nodeArgs), {
        env: { ...env, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
    urls.push(`http://127.0.0.1:${port}`);
  }
  return { children, urls };
}

async function waitReady(urls: string[], children: ChildProcess[]): Promise<void> {
  for (const [index, url] of urls.entries()) {
    for (let attempt = 0; ; attempt++) {
      const ok = await fetch(`${url}/health/ready`).then(
        (res) => res.ok,
        () => false,
      );
      if (ok) break;
      if (attempt > 200 || children[index].exitCode !== null)
        throw new Error('ingest did not become ready (is it built? npm run build)');
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

interface Load {
  results: autocannon.Result[];
  perInstance: number;
}

/** A warm-up per instance (JIT, producer connection, first transaction), then --duration of load on all. */
async function drive(urls: string[], args: Args): Promise<Load> {
  const bodies = Array.from({ length: args.bodies }, (_, i) => body(i, args.batch));
  for (const url of urls) {
    await autocannon({
      url: `${url}/v1/events`,
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: bodies[0],
      connections: 4,
      amount: WARMUP_REQUESTS,
    });
  }
  let next = 0;
  const perInstance = Math.max(1, Math.round(args.connections / urls.length));
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url: `${url}/v1/events`,
        method: 'POST',
        connections: perInstance,
        duration: args.duration,
        headers: { 'content-type': 'application/x-ndjson' },
        requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
      }),
    ),
  );
  return { results, perInstance };
}

function report(
  args: Args,
  brokers: string,
  instances: number,
  load: Load,
  counted: { records: number; unique: number },
): void {
  const { results, perInstance } = load;
  const sum = (field: (result: autocannon.Result) => number) =>
    results.reduce((acc, result) => acc + field(result), 0);
  const ok = sum((result) => result['2xx']);
  const accepted = ok * args.batch;
  const seconds = Math.max(...results.map((result) => result.duration));
  const onTopic = counted.unique;
  // The warm-up's requests count too (ingest mints an event_id per event).
  const expectedOnTopic = accepted + instances * WARMUP_REQUESTS * args.batch;
  const fmt = (value: number) => Math.round(value).toLocaleString('en-US');
  const latency = results
    .map((result) => `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`)
    .join('; ');
  console.log('');
  console.log(
    `command:      npm run bench:ingest -- --duration ${args.duration} --connections ${args.connections} --batch ${args.batch} --instances ${args.instances}`,
  );
  console.log(
    `machine:      ${cpus().length} cores, node ${process.version}, broker ${brokers} (same machine); ${instances} ingest process(es), ${perInstance} connections each`,
  );
  console.log(
    `requests:     ${fmt(ok)} x 202 (${sum((result) => result.non2xx)} non-2xx, ${sum((result) => result.errors)} errors, ${sum((result) => result.timeouts)} timeouts) in ${seconds.toFixed(1)} s`,
  );
  console.log(`latency:      ${latency} per ${args.batch}-event request`);
  // Requests still in flight when autocannon stops were committed but not counted as answered.
  const inFlightMax = perInstance * instances * args.batch;
  console.log(
    `on the topic: ${fmt(counted.records)} records, ${fmt(onTopic)} distinct event_ids (acknowledged ${fmt(expectedOnTopic)} incl. warm-up, + at most ${fmt(inFlightMax)} in flight at the stop)`,
  );
  console.log(
    `THROUGHPUT:   ${fmt(accepted / seconds)} events/s accepted and acknowledged by Kafka`,
  );
  if (
    onTopic < expectedOnTopic ||
    onTopic > expectedOnTopic + inFlightMax ||
    onTopic % args.batch !== 0
  ) {
    process.exitCode = 1;
    console.error('MISMATCH: events acknowledged and events on the topic differ');
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
