/**
 * How the fault suite tells results apart from their references: each processor's output (Postgres
 * rows and topic records) against the reference computations and the generator's manifest, as
 * problem lines naming what is missing, extra or repeated (fault-results.ts decides when to compare).
 */
import {
  AggregateRecord,
  aggregateRecordSchema,
  fraudAlertSchema,
  lateEventRecordSchema,
} from '@clickstream/contracts';
import { DEFAULT_FRAUD_CONFIG } from '../../../services/fraud-detector/src/fraud/rules/rule-config';
import { ExpectedAlert } from '../../../tools/generate/traffic-generator';
import { ConsumedRecord, readWholeTopic, testKafka } from '../../support/kafka';
import { mergedWindows, storedSessions } from '../../support/results';
import {
  conversion,
  emptyMinutes,
  referenceWindows,
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

export const finalUntil = (ms: number) => Math.floor((CLOCK_TIME - 2 * MINUTE) / ms) * ms;
export const expectedId = (a: ExpectedAlert) => `${a.rule}:${a.user_id ?? '*'}:${a.window_start}`;

export const readAll = (stack: FaultStack, topic: string): Promise<ConsumedRecord[]> =>
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

export async function sessionProblems(stack: FaultStack, traffic: Traffic): Promise<string[]> {
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

export async function windowProblems(stack: FaultStack, traffic: Traffic): Promise<string[]> {
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

export async function alertProblems(
  stack: FaultStack,
  expected: ExpectedAlert[],
): Promise<string[]> {
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
export async function lateProblems(
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
