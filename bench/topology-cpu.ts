/**
 * CPU per event of one processor's own work under live cardinality, without broker or Postgres:
 * its topology in one StreamTask, fed generated traffic whose event time follows the rate, so each
 * user's state (the sessionizer's tail within the allowed lateness, the fraud rules' windows) fills
 * as in production. A commit every second of event time takes the changes and serialises them as
 * the runtime would (each changed state in its stored form, bytes or JSON; each table row's JSON). bench:e2e is too noisy on a shared
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
import { RawRecord, storedStateValue, StreamTask } from '@clickstream/streams/internals';
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
import {
  defineCommand,
  integer,
  oneOf,
  parseOrExit,
  UsageError,
  Values,
} from '../tools/shared/args';

// Each processor's topology with the service's own settings (defaults, or the environment's), as it
// would run. registerAs factories are synchronous here; their type also admits a Promise.
const TOPOLOGIES: Record<(typeof PROCESSORS)[number], (topics: TopicNames) => Topology> = {
  sessionizer: (topics) => {
    const cfg = sessionizerConfig() as SessionizerConfig;
    return sessionizerTopology({
      topics,
      gapMs: cfg.gapMs,
      maxDurationMs: cfg.maxDurationMs,
      stateFormat: cfg.stateFormat,
    });
  },
  'fraud-detector': (topics) => fraudTopology({ topics, cfg: fraudConfig() as FraudConfig }),
  aggregator: (topics) =>
    aggregatorTopology({
      topics,
      windowSizesMs: (aggregatorConfig() as AggregatorConfig).windowSizesMs,
    }),
};

const LATENESS_MS = (streamsConfig() as StreamsConfig).allowedLatenessMs;
const WARMUP_S = 150;
const PROCESSORS = ['sessionizer', 'fraud-detector', 'aggregator'] as const;

export const TOPOLOGY_CPU_COMMAND = defineCommand({
  invocation: 'npm run bench:topology-cpu --',
  description: `CPU per event of one processor's own work under live cardinality, without broker or Postgres: its
topology in one StreamTask, fed generated traffic, a commit every second of event time. The first
${WARMUP_S} s of event time warm up; the rest is timed. Prints each run and the median.`,
  options: {
    processor: oneOf(PROCESSORS, { default: 'sessionizer', description: 'the topology to time' }),
    rate: integer({
      min: 1,
      placeholder: 'R',
      default: 750,
      description: 'events per second of event time',
    }),
    users: integer({ min: 1, placeholder: 'U', default: 6000, description: 'generated users' }),
    events: integer({
      min: 1,
      default: 300_000,
      description: `events; more than --rate × ${WARMUP_S + 10} (warm-up plus 10 s)`,
    }),
    runs: integer({
      min: 1,
      placeholder: 'K',
      default: 5,
      description: 'passes over the same events',
    }),
  },
  epilog:
    "The defaults are one of six partitions at 4,500 events/s with 36,000 users (bench:e2e's step).",
  check: (args) => {
    if (args.events <= args.rate * (WARMUP_S + 10)) {
      throw new UsageError(
        `--events: must exceed ${args.rate * (WARMUP_S + 10)}, --rate × ${WARMUP_S + 10} (warm-up plus 10 s) (got "${args.events}")`,
        '--events',
      );
    }
  },
});

type Args = Values<typeof TOPOLOGY_CPU_COMMAND.options>;

/** The generated events as the sessionizer consumes them (validated as ingest does). */
function records(args: Args, start: number): RawRecord[] {
  const out: RawRecord[] = [];
  const traffic = generateTraffic({
    seed: 7,
    startTime: start,
    ratePerSecond: args.rate,
    count: args.events,
    users: args.users,
  });
  for (const input of traffic.events()) {
    const result = validateEvent(input, { now: start, receivedAt: new Date(start).toISOString() });
    if (!result.ok) continue;
    out.push({
      key: Buffer.from(result.event.user_id),
      value: Buffer.from(JSON.stringify(result.event)),
      offset: String(out.length),
    });
  }
  return out;
}

/** µs of CPU per timed event, and the stored state per changed key and per event, for one pass over `input`. */
function run(
  input: RawRecord[],
  args: Args,
  start: number,
): { cpuUs: number; stateBytes: number; bytesPerEvent: number } {
  const topics = topicNames('');
  const topology = TOPOLOGIES[args.processor](topics);
  let wall = start;
  const task = new StreamTask(topology, topics.events, 0, {
    applicationId: `bench-${args.processor}-cpu`,
    allowedLatenessMs: LATENESS_MS,
    idleTimeoutMs: 30_000,
    maxRetries: 2,
    clock: () => wall,
  });
  let cpu0 = process.cpuUsage();
  let timed = 0;
  let bytes = 0;
  let states = 0;
  for (let i = 0, second = 0; i < input.length; i += args.rate, second++) {
    if (second === WARMUP_S) cpu0 = process.cpuUsage();
    wall += 1000;
    const chunk = input.slice(i, i + args.rate);
    task.process(chunk);
    const commit = task.takeCommit();
    for (const changes of commit.storeChanges.values()) {
      for (const value of changes.values()) {
        if (value === undefined) continue;
        const stored = storedStateValue(value);
        if (second < WARMUP_S) continue;
        bytes += typeof stored === 'string' ? Buffer.byteLength(stored) : stored.length;
        states++;
      }
    }
    for (const write of commit.tableWrites) if (write.row) JSON.stringify(write.row);
    if (second >= WARMUP_S) timed += chunk.length;
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuUs: (cpu.user + cpu.system) / timed,
    stateBytes: bytes / Math.max(1, states),
    bytesPerEvent: bytes / timed,
  };
}

function main(): void {
  const args = parseOrExit('bench:topology-cpu', TOPOLOGY_CPU_COMMAND).values;
  const start = Date.UTC(2026, 11, 1);
  console.log(`command: npm run bench:topology-cpu -- ${process.argv.slice(2).join(' ')}`);
  console.log(
    `${args.processor}: ${args.events} events at ${args.rate}/s of event time, ${args.users} users, lateness ${LATENESS_MS / 1000} s; first ${WARMUP_S} s not timed`,
  );
  const input = records(args, start);
  const results: number[] = [];
  for (let pass = 1; pass <= args.runs; pass++) {
    const { cpuUs, stateBytes, bytesPerEvent } = run(input, args, start);
    results.push(cpuUs);
    console.log(
      `run ${pass}: ${cpuUs.toFixed(1)} µs CPU/event, stored state ${stateBytes.toFixed(0)} B per changed key, ${bytesPerEvent.toFixed(0)} B per event`,
    );
  }
  const sorted = [...results].sort((x, y) => x - y);
  console.log(
    `median: ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} µs CPU/event over ${args.runs} runs`,
  );
}

if (require.main === module) main();
