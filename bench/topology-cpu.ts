/**
 * CPU per event of one processor's own work under live cardinality, without broker or Postgres:
 * its topology in one StreamTask, fed generated traffic whose event time follows the rate, so each
 * user's state (the sessionizer's tail within the allowed lateness, the fraud rules' windows) fills
 * as in production. A commit every second of event time takes the changes and serialises them as
 * the runtime would (JSON of each changed state and table row). bench:e2e is too noisy on a shared
 * 2-core box to see a 10 % change, and bench:pipeline times a few seconds per processor; this is
 * steadier. The processors' metric hooks are left out.
 *
 *   npm run bench:topology-cpu [-- --processor sessionizer|fraud-detector|aggregator] [--rate 750]
 *     [--users 6000] [--events 300000] [--runs 5]
 *   npm run bench:session-cpu   (the same with --processor sessionizer)
 *
 * The defaults are one of six partitions at 4,500 events/s with 36,000 users (bench:e2e's step).
 * The first 150 s of event time warm up (tails fill); the rest is timed. Prints each run and the
 * median.
 */
import { TopicNames, topicNames, validateEvent } from '@clickstream/contracts';
import { StreamsConfig, streamsConfig } from '@clickstream/platform';
import { Topology } from '@clickstream/streams';
import { RawRecord, StreamTask } from '../libs/streams/src/core/task';
import { AggregatorConfig, aggregatorConfig } from '../services/aggregator/src/aggregator.config';
import { aggregatorTopology } from '../services/aggregator/src/windows/aggregator.topology';
import { FraudConfig, fraudConfig } from '../services/fraud-detector/src/fraud.config';
import { fraudTopology } from '../services/fraud-detector/src/fraud/fraud-detector.topology';
import {
  SessionizerConfig,
  sessionizerConfig,
} from '../services/sessionizer/src/sessionizer.config';
import { sessionizerTopology } from '../services/sessionizer/src/sessions/sessionizer.topology';
import { generateTraffic } from '../tools/generate/traffic-generator';

// Each processor's topology with the service's own settings (defaults, or the environment's), as it
// would run. registerAs factories are synchronous here; their type also admits a Promise.
const TOPOLOGIES: Record<string, (topics: TopicNames) => Topology> = {
  sessionizer: (topics) => {
    const cfg = sessionizerConfig() as SessionizerConfig;
    return sessionizerTopology({ topics, gapMs: cfg.gapMs, maxDurationMs: cfg.maxDurationMs });
  },
  'fraud-detector': (topics) => fraudTopology({ topics, cfg: fraudConfig() as FraudConfig }),
  aggregator: (topics) =>
    aggregatorTopology({
      topics,
      windowSizesMs: (aggregatorConfig() as AggregatorConfig).windowSizesMs,
    }),
};

interface Args {
  processor: string;
  rate: number;
  users: number;
  events: number;
  runs: number;
}

const LATENESS_MS = (streamsConfig() as StreamsConfig).allowedLatenessMs;
const WARMUP_S = 150;

function parseArgs(argv: string[]): Args {
  const a: Args = { processor: 'sessionizer', rate: 750, users: 6000, events: 300_000, runs: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--processor') {
      if (!(argv[i + 1] in TOPOLOGIES))
        throw new Error(
          `--processor takes one of ${Object.keys(TOPOLOGIES).join(', ')} (got ${argv[i + 1]})`,
        );
      a.processor = argv[i + 1];
      continue;
    }
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${flag} takes a positive integer (got ${argv[i + 1]})`);
    if (flag === '--rate') a.rate = value;
    else if (flag === '--users') a.users = value;
    else if (flag === '--events') a.events = value;
    else if (flag === '--runs') a.runs = value;
    else
      throw new Error(
        `unknown flag ${flag}: use --processor P --rate R --users U --events N --runs K`,
      );
  }
  if (a.events <= a.rate * (WARMUP_S + 10))
    throw new Error(`--events must exceed ${a.rate * (WARMUP_S + 10)} (warm-up plus 10 s)`);
  return a;
}

/** The generated events as the sessionizer consumes them (validated as ingest does). */
function records(a: Args, start: number): RawRecord[] {
  const out: RawRecord[] = [];
  const traffic = generateTraffic({
    seed: 7,
    startTime: start,
    ratePerSecond: a.rate,
    count: a.events,
    users: a.users,
  });
  for (const input of traffic.events()) {
    const r = validateEvent(input, { now: start, receivedAt: new Date(start).toISOString() });
    if (!r.ok) continue;
    out.push({
      key: Buffer.from(r.event.user_id),
      value: Buffer.from(JSON.stringify(r.event)),
      offset: String(out.length),
    });
  }
  return out;
}

/** µs of CPU per timed event, and the mean stored state size, for one pass over `input`. */
function run(input: RawRecord[], a: Args, start: number): { cpuUs: number; stateBytes: number } {
  const topics = topicNames('');
  const topology = TOPOLOGIES[a.processor](topics);
  let wall = start;
  const task = new StreamTask(topology, topics.events, 0, {
    applicationId: `bench-${a.processor}-cpu`,
    allowedLatenessMs: LATENESS_MS,
    idleTimeoutMs: 30_000,
    maxRetries: 2,
    clock: () => wall,
  });
  let cpu0 = process.cpuUsage();
  let timed = 0;
  let bytes = 0;
  let states = 0;
  for (let i = 0, second = 0; i < input.length; i += a.rate, second++) {
    if (second === WARMUP_S) cpu0 = process.cpuUsage();
    wall += 1000;
    const chunk = input.slice(i, i + a.rate);
    task.process(chunk);
    const commit = task.takeCommit();
    for (const changes of commit.storeChanges.values()) {
      for (const value of changes.values()) {
        if (value === undefined) continue;
        const json = JSON.stringify(value);
        if (second < WARMUP_S) continue;
        bytes += Buffer.byteLength(json);
        states++;
      }
    }
    for (const write of commit.tableWrites) if (write.row) JSON.stringify(write.row);
    if (second >= WARMUP_S) timed += chunk.length;
  }
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / timed, stateBytes: bytes / Math.max(1, states) };
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  const start = Date.UTC(2026, 11, 1);
  console.log(`command: npm run bench:topology-cpu -- ${process.argv.slice(2).join(' ')}`);
  console.log(
    `${a.processor}: ${a.events} events at ${a.rate}/s of event time, ${a.users} users, lateness ${LATENESS_MS / 1000} s; first ${WARMUP_S} s not timed`,
  );
  const input = records(a, start);
  const results: number[] = [];
  for (let r = 1; r <= a.runs; r++) {
    const { cpuUs, stateBytes } = run(input, a, start);
    results.push(cpuUs);
    console.log(
      `run ${r}: ${cpuUs.toFixed(1)} µs CPU/event, stored state ${stateBytes.toFixed(0)} B per changed key`,
    );
  }
  const sorted = [...results].sort((x, y) => x - y);
  console.log(
    `median: ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} µs CPU/event over ${a.runs} runs`,
  );
}

main();
