/**
 * When the fault suite compares, and its verdict: it waits until the input's results are committed
 * and published, then compares the processors' results in Postgres and on their topics against the
 * reference computations (sessions, windows) and the generator's manifest (alerts), and every output
 * topic read read_committed with no record twice (by its natural id; fault-comparisons.ts).
 */
import { deadLetterRecordSchema } from '@clickstream/contracts';
import { finalUntilBySize, outboxDrained } from '../../support/results';
import { committedJson } from '../../support/task-state';
import { waitFor } from '../../support/wait-for';
import { SIZES } from '../pipeline/reference-windows';
import { referenceSessions, refEvent } from '../sessionizer/reference-sessions';
import { CLOCK_TIME, FaultStack, HOUR, ProcessorName, Traffic } from './fault-harness';
import {
  alertProblems,
  expectedId,
  finalUntil,
  lateProblems,
  readAll,
  sessionProblems,
  windowProblems,
} from './fault-comparisons';

async function count(stack: FaultStack, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await stack.db.pool.query<{ n: string }>(sql, params)).rows[0].n);
}

/** Waits until everything the input can produce is committed and published by `processors`. */
export async function waitForResults(
  stack: FaultStack,
  traffic: Traffic,
  processors: readonly ProcessorName[],
  timeoutMs = 120_000,
): Promise<void> {
  const unmet = await pendingResults(stack, traffic, processors, timeoutMs);
  if (unmet.length > 0) throw new Error(unmet.join('; '));
}

/**
 * As waitForResults, but returns the conditions still unmet at the deadline instead of failing, so
 * that expectResults can list them together with the differences they cause.
 */
export async function pendingResults(
  stack: FaultStack,
  traffic: Traffic,
  processors: readonly ProcessorName[],
  timeoutMs = 120_000,
): Promise<string[]> {
  const checks: Array<[string, () => Promise<boolean>]> = [];
  if (processors.includes('sessionizer')) {
    const sessions = referenceSessions(traffic.events.map(refEvent)).length;
    checks.push([
      `all ${sessions} sessions closed`,
      async () =>
        (await count(
          stack,
          `SELECT count(*) AS n FROM sessions WHERE user_id NOT LIKE 'clock-%' AND status = 'closed'`,
        )) === sessions,
    ]);
  }
  if (processors.includes('aggregator')) {
    checks.push([
      'every input window final',
      async () => {
        const final = await finalUntilBySize(stack.db.pool);
        return SIZES.every(([size, ms]) => final.get(size) === finalUntil(ms));
      },
    ]);
  }
  if (processors.includes('fraud-detector')) checks.push(...fraudChecks(stack, traffic));
  for (const name of processors)
    checks.push([`${name} outbox drained`, () => outboxDrained(stack.db.pool, stack.group(name))]);
  const deadline = Date.now() + timeoutMs;
  const unmet: string[] = [];
  for (const [what, probe] of checks) {
    await waitFor(probe, {
      timeoutMs: Math.max(1, deadline - Date.now()),
      intervalMs: 250,
      what,
    }).catch((err: Error) => unmet.push(err.message));
  }
  return unmet;
}

/** As fraud-alerts.int-spec: every expected alert stored, every outlier hour and traffic minute evaluated. */
function fraudChecks(stack: FaultStack, traffic: Traffic): Array<[string, () => Promise<boolean>]> {
  const expectedIds = traffic.manifest.expected.map(expectedId);
  const beforeClock = new Date(CLOCK_TIME - HOUR);
  return [
    [
      'every expected alert stored',
      async () => {
        const have = new Set(
          (await stack.db.pool.query<{ alert_id: string }>(`SELECT alert_id FROM alerts`)).rows.map(
            (r) => r.alert_id,
          ),
        );
        return expectedIds.every((id) => have.has(id));
      },
    ],
    [
      'every outlier hour before the clock evaluated',
      async () =>
        (await count(
          stack,
          `SELECT count(*) AS n FROM fraud_user_activity WHERE window_start < $1`,
          [beforeClock],
        )) === 0,
    ],
    [
      'traffic rules past the last final minute before the clock',
      async () => {
        const last = await stack.db.pool.query<{ ms: string | null }>(
          `SELECT (extract(epoch FROM max(window_start)) * 1000)::bigint AS ms FROM window_aggregates
            WHERE window_size = '1m' AND dimension = 'all' AND window_start < $1`,
          [beforeClock],
        );
        const seen = (await committedJson(
          stack.db.pool,
          stack.group('fraud-detector'),
          'fraud-traffic-rules-store',
          '1m:all',
        )) as { last?: number } | undefined;
        return last.rows[0].ms !== null && String(seen?.last) === last.rows[0].ms;
      },
    ],
  ];
}

/**
 * Compares everything the processors produced with the reference and fails once, listing every
 * difference (at most a few per check). Call after the services stopped: reading a topic appends end
 * markers, which a running fraud-detector would consume from the aggregates topic.
 */
export interface ExpectOptions {
  /** A processor's own reference input, where it differs (e.g. it stored records another refused). */
  trafficOf?: Partial<Record<ProcessorName, Traffic>>;
  /** Dead letters the input must produce (default none: a fault must never dead-letter a good record). */
  deadLetters?: number;
  /** Conditions pendingResults found unmet, reported with the differences. */
  unmet?: string[];
}

export async function expectResults(
  stack: FaultStack,
  traffic: Traffic,
  processors: readonly ProcessorName[],
  o: ExpectOptions = {},
): Promise<void> {
  const problems = [...(o.unmet ?? [])];
  const of = (p: ProcessorName) => o.trafficOf?.[p] ?? traffic;
  if (processors.includes('sessionizer'))
    problems.push(...(await sessionProblems(stack, of('sessionizer'))));
  if (processors.includes('aggregator'))
    problems.push(...(await windowProblems(stack, of('aggregator'))));
  if (processors.includes('fraud-detector'))
    problems.push(...(await alertProblems(stack, of('fraud-detector').manifest.expected)));
  problems.push(...(await lateProblems(stack, traffic.lateIds, processors)));
  const dlq = await readAll(stack, stack.topics.eventsDlq);
  for (const r of dlq) {
    const parsed = deadLetterRecordSchema.safeParse(JSON.parse(r.value!));
    if (!parsed.success)
      problems.push(
        `DLQ record is no DeadLetterRecord (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}): ${r.value?.slice(0, 300)}`,
      );
  }
  const allowed = o.deadLetters ?? 0;
  if (dlq.length !== allowed)
    problems.push(
      `DLQ holds ${dlq.length} records, ${allowed} expected; first: ${dlq[0]?.value?.slice(0, 400)}`,
    );
  expect(problems).toEqual([]);
}
