/**
 * What the end-to-end benchmarks share: a private database and topic prefix, the compiled services
 * started as child processes (dist/, `npm run build` first), their CPU and RSS from /proc, and
 * cleanup. Benchmarks are not tests: they print figures for BENCHMARKS.md.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin, Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { topicNames, topicSpecs } from '@clickstream/contracts';
import { dropDatabase, ensureDatabase, migrate } from '../../libs/platform/src/database/migrate';
import { quietKafka } from '../../tools/shared/quiet-kafka';
import { serviceArgv } from '../../tools/shared/service-launch';
import { MemoryGroup, serviceLaunch } from './container-memory';
import { freePort } from './free-port';

export const PARTITIONS = 6;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function quantile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** The offsets `group` has committed in Postgres (`stream_offsets`), summed over its partitions. */
export async function committedOffsets(pool: Pool, group: string): Promise<number> {
  const { rows } = await pool.query<{ n: string | null }>(
    `SELECT sum(next_offset) AS n FROM stream_offsets WHERE group_id = $1`,
    [group],
  );
  return Number(rows[0].n ?? 0);
}

export interface BenchService {
  name: string;
  child: ChildProcess;
  url: string;
  /** With BENCH_CONTAINER_MEMORY=1: the memory group holding it. */
  memory?: MemoryGroup;
}

/** CPU seconds (user + system) and resident memory (bytes) of a process so far (Linux /proc). */
export function processStats(pid: number | undefined): { cpuSeconds: number; rssBytes: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return {
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
      rssBytes: rssPages * 4096,
    };
  } catch {
    return { cpuSeconds: NaN, rssBytes: NaN };
  }
}

/** A private database (migrated) and topic prefix on the local broker and Postgres. */
export class BenchStack {
  readonly services: BenchService[] = [];
  readonly groups: string[] = [];
  /** CPU seconds of the instances of a service that were killed (kill()). */
  readonly cpuCarried: Record<string, number> = {};
  readonly topics: ReturnType<typeof topicNames>;
  readonly kafka: Kafka;
  private constructor(
    readonly prefix: string,
    readonly databaseUrl: string,
    readonly brokers: string,
    readonly pool: Pool,
    private readonly admin: Admin,
  ) {
    this.topics = topicNames(prefix);
    this.kafka = quietKafka('bench', brokers);
  }

  static async create(name: string): Promise<BenchStack> {
    const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
    const stamp = `${Date.now()}`;
    const dbUrl = new URL(
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    dbUrl.pathname = `/clickstream_bench_${name.replace(/\W/g, '_')}_${stamp}`;
    const url = dbUrl.toString();
    await ensureDatabase(url, { locale: process.env.BENCH_DATABASE_LOCALE || undefined });
    await migrate(url);
    const admin = quietKafka('bench-admin', brokers).admin();
    await admin.connect();
    const stack = new BenchStack(
      `bench-${name}-${stamp}.`,
      url,
      brokers,
      new Pool({ connectionString: url, max: 2 }),
      admin,
    );
    await admin.createTopics({
      topics: topicSpecs({ partitions: PARTITIONS, replicationFactor: 1, prefix: stack.prefix }),
      waitForLeaders: true,
    });
    return stack;
  }

  /** The environment every service of this stack runs with. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      KAFKA_BROKERS: this.brokers,
      KAFKA_TOPIC_PREFIX: this.prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      DATABASE_URL: this.databaseUrl,
      LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  group(processor: string): string {
    return `${this.prefix}clickstream-${processor}`;
  }

  /** Starts one compiled service and waits until it answers /health/ready (60 s at most). */
  async start(name: string, extra: Record<string, string> = {}): Promise<BenchService> {
    const port = await freePort();
    // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") for the services in BENCH_PROFILE (default all).
    const profiled =
      !process.env.BENCH_PROFILE || process.env.BENCH_PROFILE.split(',').includes(name);
    const nodeArgs = profiled ? (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
    const launch = serviceLaunch(`${this.prefix}${name}`, name, serviceArgv(name, nodeArgs));
    const out = logFile(name);
    const child = spawn(launch.command, launch.args, {
      env: {
        ...this.env({ ...serviceEnv(name), ...extra }),
        HTTP_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
      },
      stdio: ['ignore', out, 'inherit'],
    });
    if (typeof out === 'number') closeSync(out); // the child has its own copy
    const svc = { name, child, url: `http://127.0.0.1:${port}`, memory: launch.memory };
    // A service killed and started again takes its predecessor's place (and memory group).
    const before = this.services.findIndex((s) => s.name === name);
    if (before >= 0) this.services[before] = svc;
    else this.services.push(svc);
    if (name !== 'ingest' && name !== 'metrics' && !this.groups.includes(this.group(name)))
      this.groups.push(this.group(name), `${this.group(name)}.outbox`);
    for (let i = 0; ; i++) {
      if (child.exitCode !== null)
        throw new Error(`${name} exited with ${child.exitCode} (is it built? npm run build)`);
      if (
        await fetch(`${svc.url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        )
      )
        return svc;
      if (i > 600) throw new Error(`${name} not ready after 60 s`);
      await sleep(100);
    }
  }

  /**
   * SIGKILLs a running service (bench:e2e --kill). What CPU it used is kept in `cpuCarried`, so a
   * service's CPU seconds stay cumulative across its restart.
   */
  async kill(name: string): Promise<void> {
    const svc = this.services.find((s) => s.name === name && s.child.exitCode === null);
    if (!svc) throw new Error(`kill: no running service ${name}`);
    const { cpuSeconds } = processStats(svc.child.pid);
    const exited = new Promise((r) => svc.child.once('exit', r));
    svc.child.kill('SIGKILL');
    await exited;
    this.cpuCarried[name] = (this.cpuCarried[name] ?? 0) + (cpuSeconds || 0);
  }

  /** Waits until `processor` has claimed every partition of `topic` (its rows in stream_offsets). */
  async claimed(processor: string, topic = this.topics.events, timeoutMs = 60_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; ;) {
      const { rows } = await this.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
        [this.group(processor), topic],
      );
      if (Number(rows[0].n) >= PARTITIONS) return;
      if (Date.now() > deadline)
        throw new Error(
          `${processor} did not claim the ${topic} partitions within ${timeoutMs / 1000} s`,
        );
      await sleep(100);
    }
  }

  /** Topic end minus the offsets committed in Postgres (the truth), summed over partitions, per processor. */
  async lag(
    processors: readonly string[],
    topic = this.topics.events,
  ): Promise<Record<string, number>> {
    const ends = await this.admin.fetchTopicOffsets(topic);
    const out: Record<string, number> = {};
    for (const p of processors) {
      const { rows } = await this.pool.query<{ partition: number; next_offset: string | null }>(
        `SELECT partition, next_offset FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
        [this.group(p), topic],
      );
      const committed = new Map(rows.map((r) => [r.partition, Number(r.next_offset ?? 0)]));
      out[p] = ends.reduce((sum, o) => sum + Number(o.high) - (committed.get(o.partition) ?? 0), 0);
    }
    return out;
  }

  async cleanup(): Promise<void> {
    const stopping = Date.now();
    for (const s of this.services) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    // A clean stop's time per service: the processors' last commits empty their state logs.
    const stops = await Promise.all(
      this.services.map(async (s) => {
        if (s.child.exitCode === null) await new Promise((r) => s.child.once('exit', r));
        return `${s.name} ${((Date.now() - stopping) / 1000).toFixed(1)} s`;
      }),
    );
    const left = await this.pool
      .query<{ n: string }>(`SELECT count(*) AS n FROM stream_state_log`)
      .then(({ rows }) => rows[0].n)
      .catch((err: Error) => err.message);
    console.log(`clean stop (SIGTERM to exit): ${stops.join(', ')}; state log rows left: ${left}`);
    for (const { memory } of this.services) {
      if (!memory) continue;
      console.log(memory.report());
      memory.remove();
    }
    await this.admin.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await this.admin.deleteGroups(this.groups).catch(() => undefined);
    await this.admin.disconnect();
    await this.pool.end();
    await dropDatabase(this.databaseUrl).catch(() => undefined);
  }
}

/**
 * BENCH_LOG_DIR: each service's log (stdout, JSON lines) appended to <dir>/<service>.log, e.g. with
 * BENCH_SERVICE_ENV="sessionizer:LOG_LEVEL=info" to read its 'task restored' lines after --kill.
 */
function logFile(service: string): 'ignore' | number {
  const dir = process.env.BENCH_LOG_DIR;
  if (!dir) return 'ignore';
  mkdirSync(dir, { recursive: true });
  return openSync(join(dir, `${service}.log`), 'a');
}

/**
 * BENCH_SERVICE_ENV (e.g. "sessionizer:STREAMS_COMMIT_INTERVAL_MS=3000 aggregator:LOG_LEVEL=info"):
 * variables for one service only, to compare a setting in one service without changing the others.
 */
export function serviceEnv(
  service: string,
  spec = process.env.BENCH_SERVICE_ENV ?? '',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of spec.split(/\s+/).filter(Boolean)) {
    const match = /^([a-z-]+):([A-Z][A-Z0-9_]*)=(.*)$/.exec(item);
    if (!match) throw new Error(`BENCH_SERVICE_ENV: "${item}" is not service:NAME=value`);
    if (match[1] === service) out[match[2]] = match[3];
  }
  return out;
}

/**
 * The BENCH_* variables set for this run (what a results file must say to be repeated). Checks
 * BENCH_SERVICE_ENV too, so a malformed item stops the bench before it produces anything.
 */
export function benchSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  serviceEnv('', env.BENCH_SERVICE_ENV ?? '');
  const names = [
    'BENCH_SERVICE_ENV',
    'BENCH_NODE_ARGS',
    'BENCH_PROFILE',
    'BENCH_CONTAINER_MEMORY',
    'BENCH_DATABASE_LOCALE',
    'BENCH_LOG_DIR',
  ];
  return Object.fromEntries(names.filter((n) => env[n]).map((n) => [n, env[n]!]));
}
