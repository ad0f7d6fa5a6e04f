/**
 * Shared machinery of the fault suite (issue 12): a private stack of compiled services on a unique
 * topic prefix and a fresh migrated database, deterministic traffic with every SPEC §7 pattern,
 * raw or through ingest, consumer lag read the way the metrics service reads it (Postgres
 * `stream_offsets` against the topics' ends), and the faults themselves (Postgres restart).
 * Result comparisons with the reference computations live in fault-results.ts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ClickEvent,
  ClickEventInput,
  eventKey,
  topicNames,
  TopicNames,
  validateEvent,
} from '@clickstream/contracts';
import {
  FRAUD_PATTERNS,
  generateTraffic,
  TrafficManifest,
} from '../../../tools/generate/traffic-generator';
import { RateLimiter } from '../../../tools/shared/rate-limiter';
import { logEndOffsets } from '../../../tools/shared/log-end-offsets';
import {
  createPlatformTopics,
  deleteTopics,
  testBrokers,
  testKafka,
  uniqueName,
} from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { committedOffsets } from '../../support/results';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';

export const PARTITIONS = 6;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const START = Date.UTC(2024, 0, 1, 10);
/** Clock events days later on every partition: every watermark passes every window and session. */
export const CLOCK_TIME = START + 3 * 24 * HOUR;
const CLOCK_USERS = 120;
const LATE_EVENTS = 60;

export type ServiceName = 'ingest' | 'sessionizer' | 'aggregator' | 'fraud-detector' | 'metrics';
export type ProcessorName = 'sessionizer' | 'aggregator' | 'fraud-detector';

export interface Traffic {
  /** Generated events as a client sends them, in sending order. */
  inputs: ClickEventInput[];
  /** The same, validated and normalised as ingest stores them (the reference's input). */
  events: ClickEvent[];
  manifest: TrafficManifest;
  /** Sent after `inputs`: the clock events, then events days behind them (late on every processor). */
  tail: ClickEventInput[];
  lateIds: string[];
}

/** Deterministic traffic (tools/generate) with every §7 pattern and near miss, shuffled within 60 s. */
export function buildTraffic(o: { seed: number; count: number; ratePerSecond: number }): Traffic {
  const gen = generateTraffic({
    seed: o.seed,
    startTime: START,
    ratePerSecond: o.ratePerSecond,
    count: o.count,
    fraud: [...FRAUD_PATTERNS],
    nearMiss: true,
    disorderMs: 60_000,
  });
  const inputs = [...gen.events()];
  const manifest = gen.manifest();
  if (manifest.warnings.length > 0)
    throw new Error(`traffic manifest has warnings: ${manifest.warnings.join('; ')}`);
  const now = Date.now();
  const events = inputs.map((input) => {
    const r = validateEvent(input, { now });
    if (!r.ok) throw new Error(`generated event invalid: ${JSON.stringify(r.errors)}`);
    return r.event;
  });
  const clock = Array.from({ length: CLOCK_USERS }, (_, i) => ({
    event_id: `clock-${o.seed}-${i}`,
    event_time: new Date(CLOCK_TIME).toISOString(),
    event_type: 'page_view' as const,
    user_id: `clock-${i}`,
  }));
  // The clock users' partitions cover every partition that has clock events; days behind them: late.
  const late = Array.from({ length: LATE_EVENTS }, (_, i) => ({
    event_id: `late-${o.seed}-${i}`,
    event_time: new Date(START + 30 * MINUTE + i * 1000).toISOString(),
    event_type: 'view' as const,
    user_id: `clock-${i}`,
  }));
  return {
    inputs,
    events,
    manifest,
    tail: [...clock, ...late],
    lateIds: late.map((e) => e.event_id),
  };
}

/** Sources of each processor: the consumer groups whose lag must reach 0. */
const SOURCES: Record<ProcessorName, Array<keyof TopicNames>> = {
  sessionizer: ['events'],
  aggregator: ['events'],
  'fraud-detector': ['events', 'aggregates'],
};

/** One test's services on their own topics and database. */
export class FaultStack {
  readonly services: RunningService[] = [];
  readonly topics: TopicNames;
  private constructor(
    readonly prefix: string,
    readonly db: Awaited<ReturnType<typeof createMigratedDatabase>>,
    readonly env: Record<string, string>,
  ) {
    this.topics = topicNames(prefix);
  }

  static async create(label: string, env: Record<string, string> = {}): Promise<FaultStack> {
    const prefix = `${uniqueName(label)}.`;
    const db = await createMigratedDatabase(`clickstream_${label.replace(/[^a-z0-9]/g, '_')}`);
    const stack = new FaultStack(prefix, db, {
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      // Fast rebalances when a consumer is rebuilt after a fault.
      STREAMS_SESSION_TIMEOUT_MS: '6000',
      DATABASE_URL: db.url,
      ...env,
    });
    await createPlatformTopics(testKafka(), prefix, PARTITIONS);
    return stack;
  }

  group(name: ProcessorName): string {
    return `${this.prefix}clickstream-${name}`;
  }

  async start(name: ServiceName, env: Record<string, string> = {}): Promise<RunningService> {
    const svc = await startService(name, { ...this.env, ...env });
    this.services.push(svc);
    return svc;
  }

  /** Starts each service and waits until every one is ready (Kafka and Postgres reachable). */
  async startAll(
    names: ServiceName[],
    env: Record<string, string> = {},
  ): Promise<Map<ServiceName, RunningService>> {
    const started = new Map<ServiceName, RunningService>();
    for (const name of names) started.set(name, await this.start(name, env));
    await Promise.all([...started.values()].map((s) => waitForHttpOk(s, '/health/ready', 60_000)));
    return started;
  }

  /**
   * Raw records straight to the events topic, keyed by user_id (the partitioner ingest uses), in
   * order; at `eventsPerSecond` when given, so traffic keeps flowing while a fault lasts.
   */
  async produce(events: readonly unknown[], eventsPerSecond?: number, chunk = 2000): Promise<void> {
    const producer = testKafka('fault-producer').producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const limiter = eventsPerSecond ? new RateLimiter(eventsPerSecond) : undefined;
    await producer.connect();
    try {
      for (const messages of batches(
        events.map((e) => toMessage(e)),
        chunk,
        MAX_SEND_BYTES,
      )) {
        await limiter?.take(messages.length);
        await producer.send({ topic: this.topics.events, acks: -1, messages });
      }
    } finally {
      await producer.disconnect();
    }
  }

  /** Committed offsets (Postgres, the truth) of a processor on a topic, summed over partitions. */
  async progress(name: ProcessorName, topic = this.topics.events): Promise<number> {
    const { rows } = await this.db.pool.query<{ n: string | null }>(
      `SELECT sum(next_offset) AS n FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
      [this.group(name), topic],
    );
    return Number(rows[0].n ?? 0);
  }

  /**
   * Lag per processor: each source partition's log end (high watermark, so a batch ingest just
   * acknowledged counts before its markers are written: see logEndOffsets) minus the offset
   * committed in Postgres.
   */
  async lag(names: readonly ProcessorName[]): Promise<Record<string, number>> {
    const ends = new Map<string, Map<number, bigint>>();
    const out: Record<string, number> = {};
    for (const name of names) {
      let lag = 0n;
      for (const key of SOURCES[name]) {
        const topic = this.topics[key];
        if (!ends.has(topic)) ends.set(topic, await logEndOffsets(testBrokers(), topic));
        const committed = await committedOffsets(this.db.pool, this.group(name), topic);
        for (const [partition, high] of ends.get(topic)!)
          lag += high - (committed.get(partition) ?? 0n);
      }
      out[name] = Number(lag);
    }
    return out;
  }

  /** Waits until every processor's lag is 0; fails at `deadline` (epoch ms) with the last lags seen. */
  async waitForLagZero(
    names: readonly ProcessorName[],
    deadline: number,
    what: string,
  ): Promise<Record<string, number>> {
    let last: Record<string, number> = {};
    await waitFor(
      async () => {
        last = await this.lag(names);
        return Object.values(last).every((n) => n === 0);
      },
      {
        timeoutMs: Math.max(1, deadline - Date.now()),
        intervalMs: 250,
        // A function: read at the timeout, so the message gives the lags last seen, not the first {}.
        what: () => `${what} (last lag ${JSON.stringify(last)})`,
      },
    );
    return last;
  }

  /** Fails naming every service process that exited, with the tail of its output. */
  expectAllAlive(): void {
    const dead = this.services.filter(
      (s) => s.child.exitCode !== null || s.child.signalCode !== null,
    );
    if (dead.length === 0) return;
    const lines = dead.map(
      (s) =>
        `${s.name} exited (code ${s.child.exitCode}, signal ${s.child.signalCode}):\n${s.output().slice(-3000)}`,
    );
    throw new Error(`service processes exited during the fault:\n${lines.join('\n')}`);
  }

  /** Log lines of the running services that parse as JSON (pino), with the service name. */
  logLines(names?: readonly ServiceName[]): Array<Record<string, unknown> & { service: string }> {
    const out: Array<Record<string, unknown> & { service: string }> = [];
    for (const s of this.services) {
      if (names && !names.includes(s.name as ServiceName)) continue;
      for (const line of s.output().split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          out.push({ ...(JSON.parse(line) as Record<string, unknown>), service: s.name });
        } catch {
          // a partial line still being written
        }
      }
    }
    return out;
  }

  async stopServices(): Promise<void> {
    await Promise.all(this.services.map((s) => s.stop('SIGKILL')));
  }

  /** Stops everything and removes the topics and database; keeps the services' output for a post-mortem. */
  async cleanup(): Promise<void> {
    await this.stopServices();
    const dir = join(tmpdir(), 'clickstream-faults', this.prefix.replace(/\.$/, ''));
    mkdirSync(dir, { recursive: true });
    this.services.forEach((s, i) => writeFileSync(join(dir, `${s.name}-${i}.log`), s.output()));
    process.stdout.write(`[faults] service output kept in ${dir}\n`);
    await this.db.drop().catch(() => undefined);
    await deleteTopics(testKafka(), Object.values(this.topics)).catch(() => undefined);
  }
}

function toMessage(e: unknown): { key: string; value: string } {
  const event = e as ClickEvent;
  if ('received_at' in event) return { key: eventKey(event), value: JSON.stringify(event) };
  const r = validateEvent(e);
  if (!r.ok) throw new Error(`event invalid: ${JSON.stringify(r.errors)}`);
  return { key: eventKey(r.event), value: JSON.stringify(r.event) };
}

/** Under the broker's default 1 MiB message.max.bytes for one partition's record batch. */
const MAX_SEND_BYTES = 512 * 1024;

/** Splits messages into sends of at most `count` messages and about `maxBytes` (one oversized message goes alone). */
function batches<T extends { value: string }>(
  messages: T[],
  count: number,
  maxBytes: number,
): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.value);
    if (current.length > 0 && (current.length >= count || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const run = promisify(execFile);

/** The local Postgres cluster serving `databaseUrl`, from pg_lsclusters (Debian's /etc/postgresql). */
export async function localCluster(
  databaseUrl: string,
): Promise<{ version: string; name: string }> {
  const url = new URL(databaseUrl);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname)) {
    throw new Error(
      `this test restarts the local Postgres cluster; DATABASE_URL host ${url.hostname} is not local`,
    );
  }
  const port = url.port || '5432';
  const { stdout } = await run('pg_lsclusters', ['-h']);
  const match = stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => cols[2] === port && cols[3]?.startsWith('online'));
  if (!match) throw new Error(`no online cluster on port ${port} in pg_lsclusters:\n${stdout}`);
  return { version: match[0], name: match[1] };
}

/** `pg_ctlcluster <version> <cluster> restart` (fast shutdown: every connection is terminated). */
export async function restartPostgres(databaseUrl: string): Promise<number> {
  const { version, name } = await localCluster(databaseUrl);
  const started = Date.now();
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, 'restart'], {
    timeout: 120_000,
  });
  return Date.now() - started;
}
