/**
 * The whole pipeline under live traffic: the highest rate it sustains end to end on this machine.
 *
 *   npm run bench:e2e [-- --rates 1000,2000,4000] [--minutes 5] [--users-per-rate 8] [--floods 5] [--interval 100]
 *   npm run bench:e2e -- --rates 1000 --soak 600      (one long run: is memory flat?)
 *   npm run bench:e2e -- --rates 2000 --soak 2400 --steady-from 15   (also: flat once state has filled?)
 *   npm run bench:e2e -- --rates 3000 --event-ids uuid --dedupe-backlog 60   (random ids into an hour-old store)
 *   npm run bench:e2e -- --rates 3000 --kill sessionizer@30   (a SIGKILL: restore, recovery and catch-up times)
 *
 * For each rate, in ascending order, on a fresh stack (own database, topics and five services from
 * dist/, the local broker and Postgres; `npm run build` first):
 *  1. offer generated traffic (tools/generate: every user behaviour, near misses) plus click floods
 *     through POST /v1/events at the fixed rate, event time = wall clock, with users = rate ×
 *     users-per-rate, so most events of a batch belong to different users, as in production;
 *  2. every 5 s sample each processor's lag (topic end − offsets committed in Postgres, over all
 *     partitions; the fraud-detector also on the aggregates topic) and each service's CPU and RSS;
 *  3. the rate is sustained when every lag is bounded over the last 3 minutes (least-squares slope
 *     ≤ 1 % of the rate and at most 5 s of traffic behind) and ingest accepted ≥ 99 % of what was
 *     offered. The p99 ingest→alert latency comes from the floods (see shared/flood-probe.ts).
 * The steps stop at the first rate that is not sustained. The samples (JSON) and a plot of lag and
 * RSS over time (SVG) go to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { generateTraffic } from '../tools/generate/traffic-generator';
import {
  defineCommand,
  list,
  number,
  numberParser,
  oneOf,
  parseOrExit,
  UsageError,
  value,
  Values,
} from '../tools/shared/args';
import {
  BenchService,
  benchSettings,
  BenchStack,
  PARTITIONS,
  processStats,
  sleep,
} from './shared/bench-stack';
import { boxCpu } from './shared/box-cpu';
import { containerMemoryWanted } from './shared/container-memory';
import {
  backlogRowsPerTask,
  fillDedupeBacklog,
  withoutIds,
  withRandomIds,
} from './shared/dedupe-backlog';
import { FloodProbe } from './shared/flood-probe';
import { KillResult, killAndRecover, killParser } from './shared/kill-recovery';
import { OldGeneration, oldGeneration } from './shared/heap-spaces';
import { sendPaced } from './shared/paced-sender';
import {
  mb,
  MINUTE,
  plot,
  report,
  Sample,
  soakVerdict,
  StepResult,
  summarise,
} from './shared/e2e-results';

const SERVICES = ['ingest', 'sessionizer', 'aggregator', 'fraud-detector', 'metrics'];
const PROCESSORS = ['sessionizer', 'aggregator', 'fraud-detector'];
const SAMPLE_MS = 5000;

export const E2E_COMMAND = defineCommand({
  invocation: 'npm run bench:e2e --',
  description: `The whole pipeline under live traffic: for each rate, in ascending order, a fresh stack (own
database, topics and the five services from dist/; \`npm run build\` first) gets generated traffic plus
click floods through ingest; the rate is sustained when every lag is bounded over the last 3 minutes
and ingest accepted >= 99 %. Stops at the first rate not sustained. Samples and a plot go to
bench/results/.`,
  options: {
    rates: list(numberParser({ greaterThan: 0 }), {
      placeholder: 'R[,R]',
      default: [1000, 2000, 4000, 8000, 12000, 16000, 20000],
      description: 'events/s offered, each above --floods × 60',
    }),
    minutes: number({
      greaterThan: 0,
      placeholder: 'M',
      default: 5,
      description: 'minutes per rate (below 4 the verdict covers the whole run)',
    }),
    usersPerRate: number({ min: 1, placeholder: 'K', default: 8, description: 'users = rate × K' }),
    floods: number({
      min: 0,
      placeholder: 'F',
      default: 1,
      description: 'click floods per second (the ingest→alert latency probe)',
    }),
    interval: number({
      greaterThan: 0,
      placeholder: 'MS',
      default: 100,
      description: 'ms between two ingest requests',
    }),
    soak: number({
      min: 0,
      placeholder: 'S',
      default: 0,
      description:
        'one long run of S seconds at the one rate of --rates (is memory flat?); 0 is off',
    }),
    steadyFrom: number({
      min: 0,
      placeholder: 'MIN',
      default: 0,
      description:
        'soak: also compare the RSS at this minute with the end (state that fills for longer than 2 minutes); 0 is off',
    }),
    eventIds: oneOf(['generated', 'uuid', 'none'] as const, {
      default: 'generated',
      description:
        "the events' ids: the generator's (gen-<seed>-<n>: close together and after every UUID, so each dedupe insert lands in the same few pages of its index), random UUIDs (as trackers send), or none (ingest mints them, and the processors do not remember them)",
    }),
    kill: value(killParser(PROCESSORS), {
      placeholder: 'PROCESSOR@S',
      description:
        'SIGKILL the processor S seconds into each step and start it again: what its restore replays, how long until every task is open and until it has caught up',
    }),
    dedupeBacklog: number({
      min: 0,
      placeholder: 'MIN',
      default: 0,
      description:
        "fill each processor's dedupe store first with the random ids a stack holds after MIN minutes at the rate (a deployment's store holds 24 h); 0 is off",
    }),
  },
  check: (args) => {
    if (args.rates.some((rate) => !(rate > args.floods * 60))) {
      throw new UsageError(
        `--rates: each must be above --floods × 60 (got "${args.rates.join(',')}")`,
        '--rates',
      );
    }
    if (
      args.steadyFrom &&
      !(args.soak && args.steadyFrom > 2 && args.steadyFrom * 60 < args.soak)
    ) {
      throw new UsageError(
        `--steady-from: takes a minute after 2 and before the end of --soak (got "${args.steadyFrom}")`,
        '--steady-from',
      );
    }
    if (args.kill && args.kill.atSeconds >= (args.soak || args.minutes * 60)) {
      throw new UsageError(
        `--kill: the second must fall within the run (got "${args.kill.service}@${args.kill.atSeconds}")`,
        '--kill',
      );
    }
    if (args.soak && args.rates.length !== 1) {
      throw new UsageError(
        `--soak: takes exactly one rate in --rates (got "${args.rates.join(',')}")`,
        '--soak',
      );
    }
  },
});

type Args = Values<typeof E2E_COMMAND.options>;

async function sampleOnce(stack: BenchStack, t: number): Promise<Sample> {
  const services = stack.services;
  const lag = await stack.lag(PROCESSORS);
  lag['fraud-detector (aggregates)'] = (
    await stack.lag(['fraud-detector'], stack.topics.aggregates)
  )['fraud-detector'];
  const cpu: Record<string, number> = {};
  const rss: Record<string, number> = {};
  for (const s of services) {
    // A killed service (--kill) counts the CPU of its earlier instances, and no memory while down.
    const { cpuSeconds, rssBytes } = processStats(s.child.pid);
    const carried = stack.cpuCarried[s.name] ?? 0;
    cpu[s.name] = carried + (Number.isNaN(cpuSeconds) ? 0 : cpuSeconds);
    rss[s.name] = Number.isNaN(rssBytes) ? 0 : rssBytes;
  }
  const old: Record<string, OldGeneration> = {};
  const answers = await Promise.all(services.map((s) => oldGeneration(s.url)));
  for (const [i, s] of services.entries()) {
    const answer = answers[i];
    if (answer) old[s.name] = answer;
  }
  const { rows } = await stack.pool.query<{ wal: string; fpi: string; requested: string }>(
    `SELECT w.wal_bytes::text AS wal, w.wal_fpi::text AS fpi, b.checkpoints_req::text AS requested
       FROM pg_stat_wal w, pg_stat_bgwriter b`,
  );
  const [wal] = rows;
  return {
    t,
    lag,
    cpu,
    rss,
    old,
    box: boxCpu(),
    walBytes: Number(wal.wal),
    walFullPages: Number(wal.fpi),
    checkpointsRequested: Number(wal.requested),
  };
}

async function tableUpdates(stack: BenchStack): Promise<StepResult['updates']> {
  const { rows } = await stack.pool.query<{ relname: string; upd: string; hot: string }>(
    `SELECT relname, n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot FROM pg_stat_user_tables
      WHERE n_tup_upd > 0 ORDER BY n_tup_upd DESC`,
  );
  return Object.fromEntries(
    rows.map((r) => [r.relname, { updates: Number(r.upd), hot: Number(r.hot) / Number(r.upd) }]),
  );
}

async function fillBacklog(stack: BenchStack, rate: number, minutes: number): Promise<void> {
  const rowsPerTask = backlogRowsPerTask(rate, minutes, PARTITIONS);
  const filled = await fillDedupeBacklog(stack.pool, {
    appIds: PROCESSORS.map((p) => stack.group(p)),
    topic: stack.topics.events,
    partitions: PARTITIONS,
    rowsPerTask,
    minutes,
  });
  console.log(
    `dedupe backlog: ${(filled.rowsPerTask * filled.tasks).toLocaleString('en-US')} rows (${minutes} min at ${rate}/s, ${filled.rowsPerTask.toLocaleString('en-US')} per task), ${mb(filled.bytes)} with indexes, filled in ${(filled.ms / 1000).toFixed(0)} s`,
  );
}

async function runStep(args: Args, rate: number, durationS: number): Promise<StepResult> {
  const stack = await BenchStack.create('e2e');
  const probe = new FloodProbe(stack);
  const samples: Sample[] = [];
  try {
    if (args.dedupeBacklog) await fillBacklog(stack, rate, args.dedupeBacklog);
    const services: BenchService[] = [];
    for (const name of SERVICES) services.push(await stack.start(name));
    for (const p of PROCESSORS) await stack.claimed(p);
    await probe.start();
    const users = Math.ceil(rate * args.usersPerRate);
    const genStart = Math.ceil(Date.now() / MINUTE) * MINUTE;
    const normalRate = rate - args.floods * 60;
    const generated = generateTraffic({
      seed: 16,
      startTime: genStart,
      ratePerSecond: normalRate,
      durationSeconds: durationS + 1,
      users,
    }).events();
    const normal =
      args.eventIds === 'uuid'
        ? withRandomIds(generated)
        : args.eventIds === 'none'
          ? withoutIds(generated)
          : generated;
    let sampling = true;
    const t0 = Date.now();
    const sampler = (async () => {
      for (let next = t0; sampling; next += SAMPLE_MS) {
        await sleep(Math.max(0, next - Date.now()));
        samples.push(await sampleOnce(stack, Date.now() - t0));
      }
    })();
    // --kill: the processor's SIGKILL and recovery run alongside the traffic, followed until it
    // has caught up or the traffic ends (a lag that drains after that proves nothing).
    const kill = args.kill;
    const killing = kill
      ? sleep(t0 + kill.atSeconds * 1000 - Date.now()).then(() =>
          killAndRecover(stack, kill, rate, t0 + durationS * 1000),
        )
      : undefined;
    const run = await sendPaced({
      ingestUrl: services[0].url,
      rate,
      intervalMs: args.interval,
      durationS,
      floodsPerSecond: args.floods,
      normal,
      genStart,
      probe,
      stamp: stack.prefix,
    });
    sampling = false;
    await sampler;
    const killed: KillResult | undefined = await killing;
    await probe.settle(10_000);
    return { ...summarise(await tableUpdates(stack), rate, users, run, samples, probe), killed };
  } finally {
    await probe.stop();
    await stack.cleanup();
  }
}

async function main(): Promise<void> {
  const args = parseOrExit('bench:e2e', E2E_COMMAND).values;
  const durationS = args.soak || args.minutes * 60;
  console.log(`command: npm run bench:e2e -- ${process.argv.slice(2).join(' ')}`);
  console.log(
    `machine: ${cpus().length} cores, ${mb(totalmem())}, node ${process.version}; broker, Postgres, 5 services and this load generator on one box; ${PARTITIONS} partitions, 1 instance each${containerMemoryWanted() ? '; each service in a memory cgroup of its docker-compose.yml limit' : ''}`,
  );
  const settings = benchSettings();
  if (Object.keys(settings).length) console.log(`settings: ${JSON.stringify(settings)}`);
  const steps: StepResult[] = [];
  for (const rate of [...args.rates].sort((x, y) => x - y)) {
    const step = await runStep(args, rate, durationS);
    steps.push(step);
    report(step);
    if (!step.sustained && !args.soak) break;
  }
  const best = steps.filter((s) => s.sustained).pop();
  console.log(
    `\nhighest sustained rate: ${best ? `${best.rate.toLocaleString('en-US')} events/s (p99 ingest→alert ${best.p99.toFixed(0)} ms)` : 'none of the rates tried'}; load average ${loadavg()[0].toFixed(2)}`,
  );
  if (args.soak) soakVerdict(steps[0], 2);
  if (args.steadyFrom) soakVerdict(steps[0], args.steadyFrom);
  const dir = resolve(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const name = `e2e-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}${args.soak ? '-soak' : ''}`;
  writeFileSync(
    resolve(dir, `${name}.json`),
    JSON.stringify(
      { args, settings, steps: steps.map(({ run, ...s }) => ({ ...s, run })) },
      null,
      1,
    ),
  );
  plot(steps, resolve(dir, `${name}.svg`));
  console.log(`samples: bench/results/${name}.json; plot: bench/results/${name}.svg`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
}
