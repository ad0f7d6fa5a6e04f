/**
 * What the fault suite compares once the faults are over: the processors' results in Postgres and on
 * their topics against the reference computations (sessions, windows) and the generator's manifest
 * (alerts), and every output topic read read_committed with no record twice (by its natural id).
 */
import {
  AggregateRecord,
  aggregateRecordSchema,
  deadLetterRecordSchema,
  fraudAlertSchema,
  lateEventRecordSchema,
} from '@clickstream/contracts';
import { DEFAULT_FRAUD_CONFIG } from '../../../services/fraud-detector/src/fraud/rules/rule-config';
import { ExpectedAlert } from '../../../tools/generate/traffic-generator';
import { ConsumedRecord, readWholeTopic, testKafka } from '../../support/kafka';
import {
  finalUntilBySize,
  mergedWindows,
  outboxDrained,
  storedSessions,
} from '../../support/results';
import { waitFor } from '../../support/wait-for';
import {
  conversion,
  emptyMinutes,
  referenceWindows,
  SIZES,
  windowKey,
} from '../pipeline/reference-windows';
import { referenceSessions, refEvent } from '../sessionizer/reference-sessions';
import {
  CLOCK_TIME,
  FaultStack,
  HOUR,
  MINUTE,
  PARTITIONS,
  ProcessorName,
  Traffic,
} from './fault-harness';

const finalUntil = (ms: number) => Math.floor((CLOCK_TIME - 2 * MINUTE) / ms) * ms;
const expectedId = (a: ExpectedAlert) => `${a.rule}:${a.user_id ?? '*'}:${a.window_start}`;

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
        const seen = await stack.db.pool.query<{ last: string | null }>(
          `SELECT convert_from(value, 'UTF8')::jsonb->>'last' AS last FROM stream_state WHERE app_id = $1 AND store = 'fraud-traffic-rules-store' AND key = '1m:all'`,
          [stack.group('fraud-detector')],
        );
        return last.rows[0].ms !== null && seen.rows[0]?.last === last.rows[0].ms;
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

const readAll = (stack: FaultStack, topic: string): Promise<ConsumedRecord[]> =>
  readWholeTopic(testKafka(), topic, PARTITIONS);
const SHOWN = 5;

/** The natural ids that occur more than once, as a problem line. */
export function duplicates(what: string, ids: string[]): string[] {
  const seen = new Set<string>();
  const twice = [...new Set(ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false))))];
  return twice.length === 0
    ? []
    : [`${what}: ${twice.length} ids more than once, e.g. ${twice.slice(0, SHOWN).join(', ')}`];
}

/** Multiset difference of two lists of comparable strings, as problem lines. */
export function differences(what: string, got: string[], want: string[]): string[] {
  const counts = new Map<string, number>();
  for (const w of want) counts.set(w, (counts.get(w) ?? 0) + 1);
  const extra: string[] = [];
  for (const g of got) {
    const n = counts.get(g) ?? 0;
    if (n > 0) counts.set(g, n - 1);
    else extra.push(g);
  }
  const missing = [...counts].flatMap(([k, n]) => Array<string>(n).fill(k));
  const out: string[] = [];
  if (missing.length)
    out.push(
      `${what}: ${missing.length} expected but missing, e.g. ${missing.slice(0, SHOWN).join(' | ')}`,
    );
  if (extra.length)
    out.push(`${what}: ${extra.length} not expected, e.g. ${extra.slice(0, SHOWN).join(' | ')}`);
  return out;
}

async function sessionProblems(stack: FaultStack, traffic: Traffic): Promise<string[]> {
  const ref = referenceSessions(traffic.events.map(refEvent));
  const rows = await storedSessions(stack.db.pool, `user_id NOT LIKE 'clock-%'`);
  const problems = differences(
    'sessions table (user@start#events$cents)',
    rows.map(
      (r) =>
        `${r.user_id}@${r.started_at.toISOString()}#${r.event_count}$${Math.round(Number(r.revenue) * 100)}`,
    ),
    ref.map((s) => `${s.user}@${new Date(s.start).toISOString()}#${s.count}$${s.revenueCents}`),
  );
  const open = rows.filter((r) => r.status !== 'closed').length;
  if (open > 0) problems.push(`sessions table: ${open} sessions still open`);
  type Published = {
    session_id: string;
    user_id: string;
    started_at: string;
    event_count: number;
    revenue: number;
  };
  const published = (await readAll(stack, stack.topics.sessions)).map(
    (r) => JSON.parse(r.value!) as Published,
  );
  problems.push(
    ...duplicates(
      'sessions topic session_id',
      published.map((s) => s.session_id),
    ),
  );
  const mine = published.filter((s) => !s.user_id.startsWith('clock-'));
  problems.push(
    ...differences(
      'sessions topic vs table (session_id)',
      [...new Set(mine.map((s) => s.session_id))],
      rows.map((r) => r.session_id),
    ),
  );
  problems.push(
    ...differences(
      'sessions topic (user@start#events$cents)',
      mine.map(
        (s) =>
          `${s.user_id}@${new Date(s.started_at).toISOString()}#${s.event_count}$${Math.round(s.revenue * 100)}`,
      ),
      ref.map((s) => `${s.user}@${new Date(s.start).toISOString()}#${s.count}$${s.revenueCents}`),
    ),
  );
  return problems;
}

/** A window as compared: exact counts and cents; unique users only within 2 % (HyperLogLog above 2,000). */
const windowLine = (
  k: string,
  w: { events: number; purchases: number; cents: number; views: number; carts: number },
) =>
  `${k} events=${w.events} purchases=${w.purchases} cents=${w.cents} views=${w.views} carts=${w.carts}`;

async function windowProblems(stack: FaultStack, traffic: Traffic): Promise<string[]> {
  const ref = referenceWindows(traffic.events);
  const empties = emptyMinutes(ref);
  const want = [
    ...[...ref].map(([k, w]) => windowLine(k, w)),
    ...empties.map((m) =>
      windowLine(windowKey('1m', 'all', m), {
        events: 0,
        purchases: 0,
        cents: 0,
        views: 0,
        carts: 0,
      }),
    ),
  ];
  // Postgres: partial rows merged over partitions.
  const rows = await mergedWindows(
    stack.db.pool,
    `window_start < to_timestamp($1 / 1000.0) - interval '1 hour'`,
    [CLOCK_TIME],
  );
  const problems: string[] = [];
  const badUsers: string[] = [];
  const users = (k: string, got: number) => {
    const n = ref.get(k)?.users.size ?? 0;
    if (Math.abs(got - n) > Math.ceil(n * 0.02)) badUsers.push(`${k} has ${got}, reference ${n}`);
  };
  const stored = rows.map((r) => {
    const k = windowKey(r.window_size, r.dimension, Number(r.start_ms));
    users(k, Number(r.unique_users));
    return windowLine(k, {
      events: Number(r.events),
      purchases: Number(r.purchases),
      cents: Math.round(Number(r.revenue) * 100),
      views: Number(r.views),
      carts: Number(r.carts),
    });
  });
  problems.push(...differences('window_aggregates merged', stored, want));

  // The topic: every final window exactly once, equal to the reference; the empty `all` minutes as 0.
  const published = (await readAll(stack, stack.topics.aggregates)).map((r) => ({
    key: r.key,
    v: aggregateRecordSchema.parse(JSON.parse(r.value!)) as AggregateRecord,
  }));
  problems.push(
    ...duplicates(
      'aggregates topic window',
      published.map((p) => windowKey(p.v.window_size, p.v.dimension, Date.parse(p.v.window_start))),
    ),
  );
  const mine = published.filter((p) => Date.parse(p.v.window_start) < CLOCK_TIME - HOUR);
  const lines = mine.map(({ key, v }) => {
    const k = windowKey(v.window_size, v.dimension, Date.parse(v.window_start));
    users(k, v.unique_users);
    const bad =
      key !== `${v.window_size}:${v.dimension}` ||
      !v.final ||
      v.conversion_rate !== conversion(v.purchases, v.views);
    if (bad)
      problems.push(
        `aggregates topic ${k}: key ${key}, final ${v.final}, conversion_rate ${v.conversion_rate}`,
      );
    return windowLine(k, {
      events: v.events,
      purchases: v.purchases,
      cents: Math.round(v.revenue * 100),
      views: v.views,
      carts: v.carts,
    });
  });
  problems.push(...differences('aggregates topic', lines, want));
  if (badUsers.length)
    problems.push(
      `unique users beyond 2 % in ${badUsers.length} windows (table and topic), e.g. ${badUsers.slice(0, SHOWN).join(' | ')}`,
    );
  return problems;
}

const alertLine = (a: {
  alert_id: string;
  rule: string;
  severity: string;
  user_id: string | null;
  window_end: string;
  value: number;
}) =>
  `${a.alert_id} ${a.rule}/${a.severity} user=${a.user_id} end=${a.window_end} value=${a.value}`;

async function alertProblems(stack: FaultStack, expected: ExpectedAlert[]): Promise<string[]> {
  const want = expected.map((e) =>
    alertLine({
      ...e,
      alert_id: expectedId(e),
      severity: DEFAULT_FRAUD_CONFIG.rules[e.rule].severity,
    }),
  );
  const { rows } = await stack.db.pool.query<{
    alert_id: string;
    rule: string;
    severity: string;
    user_id: string | null;
    window_end: Date;
    value: number;
  }>(`SELECT alert_id, rule, severity, user_id, window_end, value FROM alerts`);
  const problems = differences(
    'alerts table',
    rows.map((r) => alertLine({ ...r, window_end: r.window_end.toISOString() })),
    want,
  );
  const published = (await readAll(stack, stack.topics.alerts)).map((r) => ({
    key: r.key,
    alert: fraudAlertSchema.parse(JSON.parse(r.value!)),
  }));
  problems.push(
    ...duplicates(
      'alerts topic alert_id',
      published.map((p) => p.alert.alert_id),
    ),
  );
  problems.push(
    ...differences('alerts topic', [...new Set(published.map((p) => alertLine(p.alert)))], want),
  );
  for (const { key, alert } of published)
    if (key !== (alert.user_id ?? '*')) problems.push(`alerts topic ${alert.alert_id}: key ${key}`);
  return problems;
}

interface LateRecord {
  processor: string;
  event_time?: string;
  watermark?: string;
  detected_at?: string;
  event: { event_id?: string; window_size?: string; dimension?: string; window_start?: string };
  source: { topic: string; partition: number; offset: string };
}

/** Late records: none twice; from the events topic exactly the tail's late events, once per processor. */
async function lateProblems(
  stack: FaultStack,
  lateIds: string[],
  processors: readonly ProcessorName[],
): Promise<string[]> {
  // Every record must be the contract's LateEventRecord (a drift fails here, not in a consumer).
  const late = (await readAll(stack, stack.topics.late)).map(
    (r) => lateEventRecordSchema.parse(JSON.parse(r.value!)) as unknown as LateRecord,
  );
  const naturalId = (l: LateRecord) =>
    `${l.processor}|${l.source.topic}|${l.event.event_id ?? `${l.event.window_size}:${l.event.dimension}@${l.event.window_start}`}`;
  const problems = duplicates('late topic (processor, source, event)', late.map(naturalId));
  const fromEvents = [
    ...new Set(
      late
        .filter((l) => l.source.topic === stack.topics.events)
        .map((l) => `${l.processor}|${l.event.event_id}`),
    ),
  ];
  const wanted = processors.flatMap((p) => lateIds.map((id) => `${stack.group(p)}|${id}`));
  const found = differences('late topic, events source (processor|event_id)', fromEvents, wanted);
  if (found.length > 0) {
    // Which processors, and how far behind their watermark: the first thing to know about a surprise.
    const perProcessor = new Map<string, number>();
    for (const l of late) {
      const k = `${l.processor.slice(stack.prefix.length)} from ${l.source.topic.slice(stack.prefix.length)}`;
      perProcessor.set(k, (perProcessor.get(k) ?? 0) + 1);
    }
    const sample = late
      .filter((l) => !lateIds.includes(l.event.event_id ?? ''))
      .slice(0, 3)
      .map((l) =>
        JSON.stringify({
          event_time: l.event_time,
          watermark: l.watermark,
          detected_at: l.detected_at,
          source: l.source,
        }),
      );
    found.push(
      `late records per processor: ${JSON.stringify(Object.fromEntries(perProcessor))}; unexpected ones e.g. ${sample.join(' ')}`,
    );
  }
  problems.push(...found);
  return problems;
}
