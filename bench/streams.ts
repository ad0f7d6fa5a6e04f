/**
 * Throughput benchmark of libs/streams against the real local broker and Postgres.
 *
 *   npm run bench:streams [-- --events N] [--max-bytes B] [--chunk C] [--users U] [--partitions P]
 *                            [--step-ms S] [--produce-chunk K] [--timeout S] [--keep] [--no-verify]
 *   BENCH_MARKS=1 prints monotonic µs marks around the streams phase (to cut a --cpu-prof profile).
 *
 * One run:
 *  1. setup     unique database `clickstream_bench_<ts>` (migrated), input topic (6 partitions), output topic
 *  2. produce   N JSON events (~150 bytes, {user, ts, n, pad}) keyed by user, event time increasing
 *  3. raw       a fresh kafkajs consumer group reads the topic from the beginning and JSON.parses every
 *               value (eachBatch). Timing starts when the FIRST batch arrives (excludes connect + group
 *               join) and stops when all N records were parsed: events/s = N / elapsed.
 *  4. streams   a StreamsApp runs a windowed count (1 min tumbling windows per user, emit 'final', to the
 *               output topic) over the same topic from the beginning; progress is the sum of committed
 *               offsets in Postgres (`stream_offsets`), polled every 50 ms. Two rates:
 *                 "from start()":  N / (all committed - before start())       (includes join + task claim)
 *                 "steady state":  (N - p0) / (all committed - first poll seeing p0 > 0)
 *               The raw baseline is compared with the steady-state rate (both exclude the group join).
 *  5. verify    reads the output topic (read_committed) and checks every emitted window against the
 *               expected result computed at produce time: exactly once, right count and sum (--no-verify).
 *  6. report    rates, ratio, node CPU use, per-phase timings of the streams batches, commit histogram.
 *  7. cleanup   stop the app, delete topics and consumer groups, drop the database.
 *
 * The app runs with allowedLatenessMs 120 s (the default) and idleTimeoutMs 1 h, so only event time
 * closes windows and the expected output is exact.
 *
 * Uses the consumer's maxBytesPerPartition for BOTH the raw and the streams consumer, so the
 * baseline reads batches of the same size.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Consumer, Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client, Pool } from 'pg';
import { Histogram, Registry } from 'prom-client';
import {
  OutboxPublisher,
  Serdes,
  StreamsApp,
  StreamTask,
  TaskRepository,
  TopologyBuilder,
  TumblingWindows,
} from '@clickstream/streams';
import { dropDatabase, migrate } from '../libs/platform/src/database/migrate';
import { prng } from '@clickstream/streams';

interface BenchEvent {
  user: string;
  ts: number;
  n: number;
  pad: string;
}

interface Args {
  events: number;
  users: number;
  partitions: number;
  maxBytes: number;
  chunk: number;
  stepMs: number;
  produceChunk: number;
  keep: boolean;
  verify: boolean;
  timeoutS: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    events: 300_000,
    users: 2000,
    partitions: 6,
    maxBytes: 2 * 1024 * 1024,
    chunk: 5000,
    stepMs: 5,
    produceChunk: 20_000,
    keep: false,
    verify: true,
    timeoutS: 600,
  };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n <= 0)
      throw new Error(`${flag} needs a positive number (got ${v ?? 'nothing'})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--events':
        args.events = Math.floor(num(a, argv[++i]));
        break;
      case '--users':
        args.users = Math.floor(num(a, argv[++i]));
        break;
      case '--partitions':
        args.partitions = Math.floor(num(a, argv[++i]));
        break;
      case '--max-bytes':
        args.maxBytes = Math.floor(num(a, argv[++i]));
        break;
      case '--chunk':
        args.chunk = Math.floor(num(a, argv[++i]));
        break;
      case '--step-ms':
        args.stepMs = num(a, argv[++i]);
        break;
      case '--produce-chunk':
        args.produceChunk = Math.floor(num(a, argv[++i]));
        break;
      case '--timeout':
        args.timeoutS = num(a, argv[++i]);
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--no-verify':
        args.verify = false;
        break;
      case '--help':
      case '-h':
        console.log(
          'usage: tsx bench/streams.ts [--events N] [--max-bytes B] [--chunk C] [--users U] [--partitions P] [--step-ms S] [--produce-chunk K] [--timeout S] [--keep] [--no-verify]',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return args;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(0)} ms`;
const log = (line: string) => console.log(line);
/** Busy and total jiffies of the whole machine (Linux /proc/stat), to see whether it was saturated. */
function machineCpu(): { busy: number; steal: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
    const total = f.slice(0, 8).reduce((a, b) => a + (b || 0), 0);
    const steal = f[7] || 0;
    return { busy: total - f[3] - (f[4] || 0) - steal, steal, total };
  } catch {
    return null;
  }
}
/** "machine 1.6 of 2 cores busy, 0.1 stolen" between two machineCpu() readings. */
function machineBusy(a: ReturnType<typeof machineCpu>, b: ReturnType<typeof machineCpu>): string {
  if (!a || !b || b.total === a.total) return 'machine CPU n/a';
  const cores = (x: number) => ((x / (b.total - a.total)) * cpus().length).toFixed(1);
  return `machine ${cores(b.busy - a.busy)} of ${cpus().length} cores busy, ${cores(b.steal - a.steal)} stolen by the hypervisor`;
}

/** BENCH_MARKS=1 prints monotonic µs timestamps (the clock of --cpu-prof) to stderr, to cut a profile. */
const mark = (what: string) =>
  process.env.BENCH_MARKS &&
  process.stderr.write(`mark ${what} ${process.hrtime.bigint() / 1000n}\n`);
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));


const BASE_TS = Date.UTC(2026, 0, 1);
const TARGET_BYTES = 150;

function makeEvent(i: number, user: string, stepMs: number): string {
  const e: BenchEvent = { user, ts: BASE_TS + Math.floor(i * stepMs), n: i % 7, pad: '' };
  const bare = JSON.stringify(e).length;
  e.pad = 'x'.repeat(Math.max(0, TARGET_BYTES - bare));
  return JSON.stringify(e);
}

// ---------------------------------------------------------------------------------------------
// Phase timings inside the streams runtime: wraps prototype methods of the library in this process
// (nothing in libs/ changes). StreamsApp consumes one partition at a time
// (partitionsConsumedConcurrently: 1), so these phases never overlap each other.

interface Phase {
  calls: number;
  totalMs: number;
  items: number;
}
const phases = new Map<string, Phase>();
let instrumenting = false;

function timed<A extends unknown[], R>(
  name: string,
  fn: (...a: A) => R,
  items: (a: A) => number = () => 0,
): (...a: A) => R {
  return function (this: unknown, ...a: A): R {
    if (!instrumenting) return fn.apply(this, a);
    const t0 = performance.now();
    const done = () => {
      let p = phases.get(name);
      if (!p) phases.set(name, (p = { calls: 0, totalMs: 0, items: 0 }));
      p.calls++;
      p.totalMs += performance.now() - t0;
      p.items += items(a);
    };
    const r = fn.apply(this, a);
    if (r instanceof Promise) return r.finally(done) as R;
    done();
    return r;
  };
}

function instrument(kafka: Kafka): void {
  const task = StreamTask.prototype;
  task.process = timed(
    'task.process (deserialize + window aggregate)',
    task.process,
    ([records]) => records.length,
  );
  task.takeCommit = timed('task.takeCommit', task.takeCommit);
  const repo = TaskRepository.prototype;
  repo.commit = timed('repo.commit (Postgres transaction)', repo.commit, ([, , c]) => {
    let changes = c.outbox.length;
    for (const m of c.storeChanges.values()) changes += m.size;
    return changes;
  });
  const pub = OutboxPublisher.prototype;
  pub.publish = timed(
    'publisher.publish (Kafka transaction)',
    pub.publish,
    ([messages]) => messages.length,
  );
  // Each statement of the Postgres commit transaction (client.query with a promise; the bench's own
  // progress poll goes through pool.query's callback form and is not counted).
  const query = Client.prototype.query as unknown as (...a: unknown[]) => unknown;
  (Client.prototype as unknown as { query: unknown }).query = function (
    this: Client,
    ...a: unknown[]
  ) {
    if (!instrumenting || typeof a[a.length - 1] === 'function' || typeof a[0] !== 'string')
      return query.apply(this, a);
    const sql = (a[0] as string).replace(/\s+/g, ' ').trim();
    const label = /^(BEGIN|COMMIT|ROLLBACK)/.test(sql) ? sql : sql.split(' ').slice(0, 3).join(' ');
    return timed(`  pg: ${label}`, query, () => 0).apply(this, a);
  };
  // The Kafka offset hint StreamsApp commits after every batch.
  const makeConsumer = kafka.consumer.bind(kafka);
  kafka.consumer = (config) => {
    const consumer: Consumer = makeConsumer(config);
    consumer.commitOffsets = timed(
      'consumer.commitOffsets (Kafka offset hint)',
      consumer.commitOffsets.bind(consumer),
    );
    return consumer;
  };
}

/** Per partition: what the topology must emit (closed 1 min windows per user), for the check. */
class Expectation {
  private readonly windows: Array<Map<string, { count: number; sum: number; end: number }>>;
  private readonly maxTs: number[];

  constructor(
    partitions: number,
    private readonly latenessMs: number,
  ) {
    this.windows = Array.from({ length: partitions }, () => new Map());
    this.maxTs = Array.from({ length: partitions }, () => -Infinity);
  }

  add(partition: number, user: string, ts: number, n: number): void {
    const start = ts - (ts % 60_000);
    const key = `${user}@${start}`;
    const w = this.windows[partition].get(key) ?? { count: 0, sum: 0, end: start + 60_000 };
    w.count++;
    w.sum += n;
    this.windows[partition].set(key, w);
    this.maxTs[partition] = Math.max(this.maxTs[partition], ts);
  }

  /** Windows the watermark (max event time - lateness) has closed, by `user@start`. */
  closed(): Map<string, { count: number; sum: number }> {
    const out = new Map<string, { count: number; sum: number }>();
    this.windows.forEach((ws, p) => {
      const watermark = this.maxTs[p] - this.latenessMs;
      for (const [k, w] of ws) if (w.end <= watermark) out.set(k, { count: w.count, sum: w.sum });
    });
    return out;
  }
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const N = args.events;
  const stamp = Date.now();
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const pgBase = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const dbUrl = `${pgBase.replace(/\/$/, '')}/clickstream_bench_${stamp}`;
  const input = `bench.streams.in.${stamp}`;
  const output = `bench.streams.out.${stamp}`;
  const appId = `bench-streams-${stamp}`;
  const rawGroup = `bench-raw-${stamp}`;
  const verifyGroup = `bench-verify-${stamp}`;
  const latenessMs = 120_000;

  log(`# streams benchmark`);
  log(`command:   ${['tsx', 'bench/streams.ts', ...process.argv.slice(2)].join(' ')}`);
  log(
    `machine:   nproc ${cpus().length} (${cpus()[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `node ${process.version}, ${process.platform}/${process.arch}, load avg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  log(`services:  kafka ${brokers.join(',')} (same machine), postgres ${dbUrl}`);
  log(
    `workload:  ${fmt(N)} events, ${args.users} users, ${args.partitions} partitions, event time +${args.stepMs} ms/event ` +
      `(${((N * args.stepMs) / 60_000).toFixed(0)} min of event time), ~${TARGET_BYTES} B JSON`,
  );
  log(
    `consumer:  maxBytesPerPartition ${fmt(args.maxBytes)} (raw and streams), streams chunkSize ${args.chunk}`,
  );
  log('');

  const kafka = new Kafka({ clientId: `bench-${stamp}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let pool: Pool | undefined;
  let app: StreamsApp | undefined;
  let dbCreated = false;
  let topicsCreated = false;
  let failed = false;
  const registry = new Registry();

  // 7. cleanup (also on Ctrl-C) -----------------------------------------------------------------
  let cleaning: Promise<boolean> | undefined;
  const cleanup = (): Promise<boolean> =>
    (cleaning ??= (async () => {
      let ok = true;
      instrumenting = false;
      await app?.stop().catch((e: Error) => console.error(`cleanup: app.stop: ${e.message}`));
      await pool?.end().catch(() => undefined);
      if (args.keep) {
        log(`cleanup:   --keep: left ${input}, ${output}, ${dbUrl}`);
      } else {
        if (topicsCreated) {
          await admin.deleteTopics({ topics: [input, output] }).catch((e: Error) => {
            ok = false;
            console.error(`cleanup: delete topics: ${e.message}`);
          });
          await admin
            .deleteGroups([rawGroup, verifyGroup, appId, `${appId}.outbox`])
            .catch(() => undefined);
        }
        if (dbCreated) {
          await dropDatabase(dbUrl).catch((e: Error) => {
            ok = false;
            console.error(`cleanup: drop database: ${e.message}`);
          });
        }
        log(`cleanup:   ${ok ? 'done' : 'INCOMPLETE'}: topics, consumer groups, database`);
      }
      await admin.disconnect().catch(() => undefined);
      return ok;
    })());
  const onSigint = () => {
    console.error('interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSigint);

  try {
    // 1. setup ---------------------------------------------------------------------------------
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: input, numPartitions: args.partitions, replicationFactor: 1 },
        { topic: output, numPartitions: args.partitions, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
    topicsCreated = true;
    dbCreated = true; // migrate creates it; drop it even if migrate fails half-way
    await migrate(dbUrl);
    pool = new Pool({ connectionString: dbUrl, max: 4 });

    // 2. produce -------------------------------------------------------------------------------
    // The partition is set explicitly, computed by kafkajs' default partitioner (what sending by key
    // would pick), so the expected output per partition is known.
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: args.partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const expect = new Expectation(args.partitions, latenessMs);
    const rnd = prng(42);
    const users = Array.from(
      { length: args.users },
      (_, i) => `user-${String(i).padStart(5, '0')}`,
    );
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    let bytes = 0;
    const p0 = performance.now();
    for (let i = 0; i < N; i += args.produceChunk) {
      const messages: Array<{ key: string; value: string; partition: number }> = [];
      for (let j = i; j < Math.min(N, i + args.produceChunk); j++) {
        const user = users[Math.floor(rnd() * users.length)];
        const value = makeEvent(j, user, args.stepMs);
        const partition = partitioner({
          topic: input,
          partitionMetadata,
          message: { key: user, value },
        });
        expect.add(partition, user, BASE_TS + Math.floor(j * args.stepMs), j % 7);
        bytes += value.length;
        messages.push({ key: user, value, partition });
      }
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic: input, messages }] });
    }
    const produceMs = performance.now() - p0;
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets(input);
    const onTopic = offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
    if (onTopic !== N) throw new Error(`topic holds ${onTopic} records, expected ${N}`);
    log(
      `produce:   ${fmt(N)} events (avg ${(bytes / N).toFixed(0)} B) in ${ms(produceMs)} = ${fmt(N / (produceMs / 1000))} events/s ` +
        `(sendBatch x${fmt(args.produceChunk)}, acks=all, includes generating the events)`,
    );

    // 3. raw baseline --------------------------------------------------------------------------
    const raw = await rawConsume(kafka, input, rawGroup, N, args.maxBytes, args.timeoutS);
    log(
      `raw:       ${fmt(N)} parsed in ${ms(raw.elapsedMs)} after the first batch (+${ms(raw.joinMs)} connect/join before it), ` +
        `${raw.batches} batches (avg ${fmt(N / raw.batches)} records), node CPU ${ms(raw.cpuMs)} = ${((raw.cpuMs / raw.elapsedMs) * 100).toFixed(0)} % of wall, ${raw.machine}`,
    );

    // 4. streams -------------------------------------------------------------------------------
    const b = new TopologyBuilder(appId);
    b.stream<BenchEvent>(input, {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<BenchEvent>(),
      timestamp: (v) => v.ts,
    })
      .windowedAggregate('bench-window-1m', {
        window: TumblingWindows.of(60_000),
        groupKey: (v) => v.user,
        initializer: () => ({ count: 0, sum: 0 }),
        aggregator: (a, v) => ({ count: a.count + 1, sum: a.sum + v.n }),
        emit: 'final',
      })
      .to('bench-window-1m-sink', {
        topic: output,
        keySerde: Serdes.string(),
        valueSerde: Serdes.json(),
        key: (r) => r.value.key,
      });
    const topology = b.build();

    instrument(kafka);
    app = new StreamsApp({
      topology,
      kafka,
      pool,
      registry,
      metricPrefix: 'streams',
      allowedLatenessMs: latenessMs,
      idleTimeoutMs: 3_600_000,
      maxBytesPerPartition: args.maxBytes,
      chunkSize: args.chunk,
      logger: {
        info: () => undefined,
        warn: (o, m) => process.stderr.write(`WARN ${m} ${JSON.stringify(o)}\n`),
        error: (o, m) => process.stderr.write(`ERROR ${m} ${JSON.stringify(o)}\n`),
      },
    });
    const progress = async () => {
      const { rows } = await pool!.query<{ done: string | null }>(
        'SELECT sum(next_offset) AS done FROM stream_offsets WHERE group_id = $1',
        [appId],
      );
      return Number(rows[0].done ?? 0);
    };
    const s0 = performance.now();
    mark('streams-start');
    instrumenting = true;
    await app.start();
    let firstAt = 0;
    let firstDone = 0;
    let firstCpu = process.cpuUsage();
    let firstMachine = machineCpu();
    const deadline = s0 + args.timeoutS * 1000;
    for (;;) {
      const done = await progress();
      const now = performance.now();
      if (done > 0 && firstAt === 0) {
        firstAt = now;
        firstDone = done;
        firstCpu = process.cpuUsage();
        firstMachine = machineCpu();
      }
      if (done >= N) break;
      if (now > deadline)
        throw new Error(`streams: timed out after ${args.timeoutS} s with ${done}/${N} committed`);
      await sleep(50);
    }
    const s1 = performance.now();
    const steadyCpu = process.cpuUsage(firstCpu);
    const steadyMachine = machineBusy(firstMachine, machineCpu());
    mark('streams-end');
    instrumenting = false;
    const loadAfter = loadavg()[0];
    const fromStartMs = s1 - s0;
    const steadyMs = s1 - firstAt;
    const streamsFromStart = N / (fromStartMs / 1000);
    const streamsSteady = (N - firstDone) / (steadyMs / 1000);
    const steadyCpuMs = (steadyCpu.user + steadyCpu.system) / 1000;
    const { rows: seqRows } = await pool.query<{ published: string | null }>(
      'SELECT sum(next_seq) AS published FROM stream_offsets WHERE group_id = $1',
      [appId],
    );
    const windowsOut = Number(seqRows[0].published ?? 0);
    log(
      `streams:   ${fmt(N)} committed in ${ms(fromStartMs)} from start(); first progress (${fmt(firstDone)}) after ${ms(firstAt - s0)}, ` +
        `then ${fmt(N - firstDone)} in ${ms(steadyMs)}, node CPU ${ms(steadyCpuMs)} = ${((steadyCpuMs / steadyMs) * 100).toFixed(0)} % of wall, ${steadyMachine}; ` +
        `${fmt(windowsOut)} final windows emitted`,
    );
    await app.stop();
    app = undefined;

    // 5. verify --------------------------------------------------------------------------------
    let verdict = 'skipped (--no-verify)';
    if (args.verify) {
      const expected = expect.closed();
      if (windowsOut !== expected.size)
        throw new Error(`streams emitted ${windowsOut} windows, expected ${expected.size}`);
      const got = await readOutput(kafka, output, verifyGroup, expected.size);
      let bad = 0;
      for (const [k, v] of expected) {
        const g = got.get(k);
        if (!g || g.length !== 1 || g[0].count !== v.count || g[0].sum !== v.sum) bad++;
      }
      if (bad || got.size !== expected.size)
        throw new Error(
          `output check failed: ${bad} wrong or missing of ${expected.size}, ${got.size} distinct keys read`,
        );
      verdict = `ok: ${fmt(expected.size)} windows read back (read_committed), each exactly once with the expected count and sum`;
    }
    log(`verify:    ${verdict}`);

    // 6. report --------------------------------------------------------------------------------
    const ratio = streamsSteady / raw.rate;
    const row = (label: string, rate: number) =>
      log(`| ${label.padEnd(70)} | ${fmt(rate).padStart(11)} |`);
    log('');
    log(`| ${'measurement'.padEnd(70)} | ${'events/s'.padStart(11)} |`);
    log(`|${'-'.repeat(72)}|${'-'.repeat(13)}|`);
    row('raw kafkajs consume+JSON.parse (timed from the first batch)', raw.rate);
    row('streams windowed count (exactly-once, Postgres commit), steady state', streamsSteady);
    row('streams windowed count, from start() (incl. group join + task claims)', streamsFromStart);
    log('');
    log(`raw kafkajs consume+JSON.parse: ${fmt(raw.rate)} events/s`);
    log(
      `streams windowed count (exactly-once, Postgres commit): ${fmt(streamsSteady)} events/s (steady state), ${fmt(streamsFromStart)} events/s (from start())`,
    );
    log(
      `ratio: ${(ratio * 100).toFixed(0)} % (steady / raw), ${((streamsFromStart / raw.rate) * 100).toFixed(0)} % (from start() / raw)`,
    );
    log(`load avg (1 min) after the streams phase: ${loadAfter.toFixed(2)}`);
    log('');

    const histogram = async (name: string) => {
      const h = registry.getSingleMetric(name) as Histogram | undefined;
      const values = h ? (await h.get()).values : [];
      const total = (suffix: string) =>
        values.filter((x) => x.metricName === `${name}${suffix}`).reduce((s, x) => s + x.value, 0);
      return { sum: total('_sum'), count: total('_count') };
    };
    const commit = await histogram('streams_commit_duration_seconds');
    const batch = await histogram('streams_batch_duration_seconds');
    const avg = (sum: number, count: number) => ((sum / Math.max(1, count)) * 1000).toFixed(1);
    log(
      `per batch: ${fmt(batch.count)} batches, avg ${fmt(N / Math.max(1, batch.count))} records, avg ${avg(batch.sum, batch.count)} ms ` +
        `(streams_batch_duration_seconds: process + commit + publish); streams_commit_duration_seconds avg ${avg(commit.sum, commit.count)} ms ` +
        `over ${fmt(commit.count)} commits (${(commit.sum * 1000).toFixed(0)} ms total)`,
    );
    log(`phases over the ${ms(fromStartMs)} from start() (serial, one partition at a time):`);
    let accounted = 0;
    for (const [name, p] of [...phases].sort(
      ([a], [b]) => (a.startsWith('  pg') ? 1 : 0) - (b.startsWith('  pg') ? 1 : 0),
    )) {
      if (!name.startsWith('  pg')) accounted += p.totalMs;
      const per = p.items ? `, ${fmt(p.items)} items` : '';
      log(
        `  ${name.padEnd(46)} ${ms(p.totalMs).padStart(8)} ${((p.totalMs / fromStartMs) * 100).toFixed(0).padStart(3)} %` +
          `  (${fmt(p.calls)} calls, avg ${(p.totalMs / Math.max(1, p.calls)).toFixed(2)} ms${per})`,
      );
    }
    const rest = fromStartMs - accounted;
    if ([...phases.keys()].some((k) => k.startsWith('  pg')))
      log(
        '  (the "  pg:" lines are the statements inside repo.commit and task claims, not extra time)',
      );
    log(
      `  ${'rest: start/join/claims, fetch + decode, poll'.padEnd(46)} ${ms(rest).padStart(8)} ${((rest / fromStartMs) * 100).toFixed(0).padStart(3)} %`,
    );
  } catch (err) {
    failed = true;
    console.error(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  } finally {
    process.off('SIGINT', onSigint);
    if (!(await cleanup())) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

/** A fresh group reads the topic from the beginning and JSON.parses every value. */
async function rawConsume(
  kafka: Kafka,
  topic: string,
  groupId: string,
  n: number,
  maxBytes: number,
  timeoutS: number,
) {
  const consumer = kafka.consumer({
    groupId,
    maxBytesPerPartition: maxBytes,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const t0 = performance.now();
  let first = 0;
  let firstCpu = process.cpuUsage();
  let firstMachine = machineCpu();
  let machine = '';
  let cpuMs = 0;
  let end = 0;
  let count = 0;
  let batches = 0;
  let sink = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`raw consumer timed out with ${count}/${n}`)),
        timeoutS * 1000,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (first === 0) {
              first = performance.now();
              firstCpu = process.cpuUsage();
              firstMachine = machineCpu();
            }
            batches++;
            for (const m of batch.messages) {
              const v = JSON.parse(m.value!.toString('utf8')) as BenchEvent;
              sink += v.n;
              count++;
            }
            if (count >= n && end === 0) {
              end = performance.now();
              const cpu = process.cpuUsage(firstCpu);
              cpuMs = (cpu.user + cpu.system) / 1000;
              machine = machineBusy(firstMachine, machineCpu());
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  if (sink < 0) throw new Error('unreachable');
  const elapsedMs = end - first;
  return { rate: n / (elapsedMs / 1000), elapsedMs, joinMs: first - t0, batches, cpuMs, machine };
}

/** Reads the output topic (read_committed) until `expected` records arrived and 1 s passed quietly. */
async function readOutput(kafka: Kafka, topic: string, groupId: string, expected: number) {
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const got = new Map<string, Array<{ count: number; sum: number }>>();
  let count = 0;
  let lastAt = performance.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const r = JSON.parse(m.value!.toString('utf8')) as {
            key: string;
            window: { start: number };
            value: { count: number; sum: number };
            final: boolean;
          };
          const k = `${r.key}@${r.window.start}`;
          const list = got.get(k) ?? [];
          list.push(r.value);
          got.set(k, list);
          count++;
        }
        lastAt = performance.now();
      },
    });
    const deadline = performance.now() + 60_000;
    while (count < expected || performance.now() - lastAt < 1000) {
      if (performance.now() > deadline)
        throw new Error(`output check: read ${count} of ${expected} records in 60 s`);
      await sleep(100);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return got;
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
