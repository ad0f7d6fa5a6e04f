/**
 * Phase timings inside the streams runtime: wraps prototype methods of the library in this process
 * (nothing in libs/ changes). StreamsApp consumes one partition at a time
 * (partitionsConsumedConcurrently: 1), so these phases never overlap each other.
 */
import { performance } from 'node:perf_hooks';
import { Consumer, Kafka } from 'kafkajs';
import { Client } from 'pg';
// Deep imports: the task and its repository are runtime internals, not the library's public API.
import { OutboxPublisher } from '@clickstream/streams';
import { StreamTask, TaskRepository } from '@clickstream/streams/internals';
import { fmt, log, ms } from './format';

interface Phase {
  calls: number;
  totalMs: number;
  items: number;
}

const phases = new Map<string, Phase>();
let instrumenting = false;

/** Timings are taken only between start and stop (the streams phase). */
export function timePhases(on: boolean): void {
  instrumenting = on;
}

function timed<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => R,
  items: (args: A) => number = () => 0,
): (...args: A) => R {
  return function (this: unknown, ...args: A): R {
    if (!instrumenting) return fn.apply(this, args);
    const started = performance.now();
    const done = () => {
      let phase = phases.get(name);
      if (!phase) phases.set(name, (phase = { calls: 0, totalMs: 0, items: 0 }));
      phase.calls++;
      phase.totalMs += performance.now() - started;
      phase.items += items(args);
    };
    const result = fn.apply(this, args);
    if (result instanceof Promise) return result.finally(done) as R;
    done();
    return result;
  };
}

/** Wraps the runtime's task, repository, publisher, Postgres client and consumer offset commits. */
export function instrument(kafka: Kafka): void {
  const task = StreamTask.prototype;
  task.process = timed(
    'task.process (deserialize + window aggregate)',
    task.process,
    ([records]) => records.length,
  );
  task.takeCommit = timed('task.takeCommit', task.takeCommit);
  const repo = TaskRepository.prototype;
  repo.commit = timed('repo.commit (Postgres transaction)', repo.commit, ([, , commit]) => {
    let changes = commit.outbox.length;
    for (const store of commit.storeChanges.values()) changes += store.size;
    return changes;
  });
  const publisher = OutboxPublisher.prototype;
  publisher.publish = timed(
    'publisher.publish (Kafka transaction)',
    publisher.publish,
    ([messages]) => messages.length,
  );
  instrumentPostgres();
  // The Kafka offset hints StreamsApp sends (at most one request per offsetHintIntervalMs).
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

/**
 * Each statement of the Postgres commit transaction (client.query with a promise; the bench's own
 * progress poll goes through pool.query's callback form and is not counted).
 */
function instrumentPostgres(): void {
  const query = Client.prototype.query as unknown as (...args: unknown[]) => unknown;
  (Client.prototype as unknown as { query: unknown }).query = function (
    this: Client,
    ...args: unknown[]
  ) {
    if (
      !instrumenting ||
      typeof args[args.length - 1] === 'function' ||
      typeof args[0] !== 'string'
    ) {
      return query.apply(this, args);
    }
    const sql = (args[0] as string).replace(/\s+/g, ' ').trim();
    const label = /^(BEGIN|COMMIT|ROLLBACK)/.test(sql) ? sql : sql.split(' ').slice(0, 3).join(' ');
    return timed(`  pg: ${label}`, query, () => 0).apply(this, args);
  };
}

const isStatement = (name: string) => name.startsWith('  pg');

/** The phases over the streams phase's wall time, the Postgres statements last. */
export function printPhases(fromStartMs: number): void {
  log(`phases over the ${ms(fromStartMs)} from start() (serial, one partition at a time):`);
  let accounted = 0;
  const ordered = [...phases].sort(
    ([left], [right]) => Number(isStatement(left)) - Number(isStatement(right)),
  );
  for (const [name, phase] of ordered) {
    if (!isStatement(name)) accounted += phase.totalMs;
    const items = phase.items ? `, ${fmt(phase.items)} items` : '';
    log(
      `  ${name.padEnd(46)} ${ms(phase.totalMs).padStart(8)} ${share(phase.totalMs, fromStartMs)}` +
        `  (${fmt(phase.calls)} calls, avg ${(phase.totalMs / Math.max(1, phase.calls)).toFixed(2)} ms${items})`,
    );
  }
  if ([...phases.keys()].some(isStatement)) {
    log(
      '  (the "  pg:" lines are the statements inside repo.commit and task claims, not extra time)',
    );
  }
  const rest = fromStartMs - accounted;
  log(
    `  ${'rest: start/join/claims, fetch + decode, poll'.padEnd(46)} ${ms(rest).padStart(8)} ${share(rest, fromStartMs)}`,
  );
}

const share = (partMs: number, wholeMs: number) =>
  `${((partMs / wholeMs) * 100).toFixed(0).padStart(3)} %`;
