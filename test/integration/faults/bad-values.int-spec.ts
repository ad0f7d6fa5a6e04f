import { ClickEvent } from '@clickstream/contracts';
import { DEFAULT_FRAUD_CONFIG } from '../../../services/fraud-detector/src/fraud/rules/rule-config';
import { ExpectedAlert } from '../../../tools/generate/traffic-generator';
import { readWholeTopic, testKafka } from '../../support/kafka';
import { waitFor } from '../../support/wait-for';
import {
  buildTraffic,
  FaultStack,
  HOUR,
  PARTITIONS,
  ProcessorName,
  START,
  Traffic,
} from './fault-harness';
import { expectResults, waitForResults } from './fault-results';
import { scrapedSum } from '../../support/scraped-metrics';

/*
 * Issue 12, fault 1: the four values that once stopped five partitions for good (a NUL and a lone
 * surrogate in user_id, a price of 1e17, a NUL inside properties), written straight to the events
 * topic past ingest, among 10,000 generated events. Each processor must dead-letter exactly the
 * records its database refuses, with the database's reason, and go on: lag 0, every other result
 * equal to the reference, epochs at most 2, one log line and one metric increment per dead letter.
 * Through ingest the same values get 400 and a DLQ record naming the field.
 */

const PROCESSORS: ProcessorName[] = ['sessionizer', 'aggregator', 'fraud-detector'];
/**
 * Two hours after the traffic's start, written after it: their sessions and windows are their own,
 * they make nothing late, and the traffic rules judge the same minutes with or without them (the gap
 * after the traffic is longer than the baseline either way). Only `big`'s purchase fires a rule.
 */
const BAD_TIME = START + 2 * HOUR;

function badEvent(i: number, fields: Partial<ClickEvent> & Record<string, unknown>): ClickEvent {
  const at = new Date(BAD_TIME + i * 1000).toISOString();
  return {
    event_id: `bad-${i}`,
    event_time: at,
    event_type: 'view',
    user_id: `bad-${i}`,
    quantity: 1,
    currency: 'USD',
    properties: {},
    received_at: at,
    ...fields,
  } as ClickEvent;
}

const BAD: ClickEvent[] = [
  badEvent(0, { user_id: 'nul\u0000user' }),
  badEvent(1, { user_id: 'sur\ud800x' }),
  badEvent(2, { user_id: 'big', event_type: 'purchase', price: 1e17 }),
  badEvent(3, { user_id: 'ok', properties: { a: 'x\u0000y' } }),
];

/** A Kafka key goes over the wire as UTF-8: a lone surrogate arrives as U+FFFD. */
const asKey = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

interface DeadLetter {
  reason: string;
  message: string;
  source: string;
  offset: string;
  partition: number;
  original: string | null;
}

describe('fault: values Postgres refuses, written past ingest', () => {
  let stack: FaultStack | undefined;
  let traffic: Traffic;

  beforeAll(() => {
    traffic = buildTraffic({ seed: 12, count: 10_000, ratePerSecond: 5 });
  });

  afterAll(async () => {
    await stack?.cleanup();
  });

  it('each processor dead-letters exactly what its database refuses and goes on; ingest answers 400', async () => {
    const began = Date.now();
    stack = await FaultStack.create('badvalues');
    const s = stack;
    await s.produce(traffic.events, 2000);
    await s.produce(BAD);
    await s.produce(traffic.tail);
    const services = await s.startAll(['ingest', ...PROCESSORS]);

    await s.waitForLagZero(
      PROCESSORS,
      Date.now() + 150_000,
      'lag 0 with the bad records in the input',
    );
    const letters = await processorDeadLetters(s);
    const refused = new Map(
      PROCESSORS.map((p) => [p, letters.filter((d) => d.source === s.group(p))]),
    );
    for (const p of PROCESSORS) {
      const mine = refused.get(p)!;
      // Only the bad records, each once, with the database's reason.
      expect(
        mine.every((d) => d.reason === 'storage_rejected' && /\(\w{5}\)$/.test(d.message)),
      ).toBe(true);
      const ids = mine.map((d) => (JSON.parse(d.original!) as ClickEvent).event_id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.every((id) => id.startsWith('bad-'))).toBe(true);
      // Both store the user id as text (state keys, sessions, activity rows); the aggregator keeps only its hash.
      if (p !== 'aggregator') expect(ids).toContain('bad-0');
    }
    // Each processor's reference input: the traffic plus the bad records it could store.
    const trafficFor = (p: ProcessorName): Traffic => {
      const out = new Set(
        refused.get(p)!.map((d) => (JSON.parse(d.original!) as ClickEvent).event_id),
      );
      const extra = BAD.filter((e) => !out.has(e.event_id)).map((e) => ({
        ...e,
        user_id: asKey(e.user_id),
      }));
      const alerts = p === 'fraud-detector' ? extra.flatMap(highValueAlert) : [];
      return {
        ...traffic,
        events: [...traffic.events, ...extra],
        manifest: { ...traffic.manifest, expected: [...traffic.manifest.expected, ...alerts] },
      };
    };
    for (const p of PROCESSORS) await waitForResults(s, trafficFor(p), [p]);

    // Epochs: claimed once, at most once more; a refused commit reloads the task, it does not re-claim.
    const { rows } = await s.db.pool.query<{ max: string }>(
      `SELECT max(epoch) AS max FROM stream_offsets WHERE group_id LIKE $1`,
      [`${s.prefix}%`],
    );
    expect(Number(rows[0].max)).toBeLessThanOrEqual(2);

    // One log line and one metric increment per dead letter.
    for (const p of PROCESSORS) {
      const svc = [...services.values()].find((x) => x.name === p)!;
      const lines = s
        .logLines([p])
        .filter((l) => l.msg === 'record dead-lettered' && l.reason === 'storage_rejected');
      expect(lines.map((l) => `${l.partition}:${l.offset}`).sort()).toEqual(
        refused
          .get(p)!
          .map((d) => `${d.partition}:${d.offset}`)
          .sort(),
      );
      const metric = `${p.replace('-', '_')}_dead_letter_events_total`;
      const counted = (await scrapedSum(svc.url('/metrics'), metric)) ?? 0;
      expect(counted).toBe(refused.get(p)!.length);
    }

    // Through ingest: 400 naming the field, and a DLQ record for each.
    const ingest = services.get('ingest')!;
    const now = new Date().toISOString();
    const requests = [
      { body: { event_time: now, event_type: 'view', user_id: 'nul\u0000user' }, field: 'user_id' },
      { body: { event_time: now, event_type: 'view', user_id: 'sur\ud800x' }, field: 'user_id' },
      {
        body: { event_time: now, event_type: 'purchase', user_id: 'big', price: 1e17 },
        field: 'price',
      },
      {
        body: { event_time: now, event_type: 'view', user_id: 'ok', properties: { a: 'x\u0000y' } },
        field: 'properties.a',
      },
    ];
    for (const r of requests) {
      const res = await fetch(ingest.url('/v1/events'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(r.body),
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain(r.field);
    }
    await waitFor(async () => (await ingestDeadLetters(s)).length >= 4, {
      timeoutMs: 30_000,
      what: 'ingest DLQ records',
    });
    expect((await ingestDeadLetters(s)).map((d) => d.field).sort()).toEqual(
      requests.map((r) => r.field).sort(),
    );

    await s.stopServices();
    // Every other result equals the reference over what each processor accepted.
    const trafficOf = Object.fromEntries(PROCESSORS.map((p) => [p, trafficFor(p)]));
    await expectResults(s, traffic, PROCESSORS, {
      trafficOf,
      deadLetters: letters.length + requests.length,
    });
    process.stdout.write(
      `[faults] bad-values: dead-lettered ${JSON.stringify(Object.fromEntries([...refused].map(([p, d]) => [p, d.map((x) => x.message)])))}; case ${Date.now() - began} ms\n`,
    );
  }, 300_000);
});

/** The §7 high_value alert a stored purchase over the threshold fires (tumbling windows of windowMs). */
function highValueAlert(e: ClickEvent): ExpectedAlert[] {
  const cfg = DEFAULT_FRAUD_CONFIG.rules.high_value;
  if (e.event_type !== 'purchase' || (e.price ?? 0) * (e.quantity ?? 1) <= cfg.threshold) return [];
  const start = Math.floor(Date.parse(e.event_time) / cfg.windowMs) * cfg.windowMs;
  return [
    {
      rule: 'high_value',
      user_id: e.user_id,
      window_start: new Date(start).toISOString(),
      window_end: new Date(start + cfg.windowMs).toISOString(),
      value: (e.price ?? 0) * (e.quantity ?? 1),
      threshold: cfg.threshold,
      source: 'injected',
    },
  ];
}

async function processorDeadLetters(s: FaultStack): Promise<DeadLetter[]> {
  const records = await readWholeTopic(testKafka(), s.topics.eventsDlq, PARTITIONS);
  return records
    .map((r) => JSON.parse(r.value!) as DeadLetter)
    .filter((d) => d.source !== 'ingest');
}

async function ingestDeadLetters(s: FaultStack): Promise<Array<{ field: string }>> {
  const records = await readWholeTopic(testKafka(), s.topics.eventsDlq, PARTITIONS);
  return records
    .map((r) => JSON.parse(r.value!) as { field: string; source: string })
    .filter((d) => d.source === 'ingest');
}
