import { ClickEventInput } from '@clickstream/contracts';
import { Rng } from '../../../tools/generate/prng';
import { readWholeTopic, testKafka } from '../../support/kafka';
import {
  buildTraffic,
  FaultStack,
  PARTITIONS,
  ProcessorName,
  Traffic,
} from '../faults/fault-harness';
import { IngestSender } from '../faults/ingest-sender';
import { expectResults, pendingResults } from '../faults/fault-results';
import { scrapedSum } from '../../support/scraped-metrics';

/*
 * Issue 14: a retried request counts once. The fault suite's traffic (every SPEC §7 pattern) goes
 * through ingest in batches of 500; a fifth of the batches is sent again, shuffled, one batch later
 * (a client whose 202 was lost), and one event comes back with its id but other content. Sessions,
 * windows and alerts must equal the reference of the traffic sent once, each processor must count
 * exactly the re-sent events as duplicates, the conflicting one must be dead-lettered by each, and
 * the remembered ids must be forgotten once the watermark is a horizon past them.
 *
 * One batch that is never re-sent goes without ids: ingest mints them and marks them
 * (ASSIGNED_EVENT_ID_HEADER), so the processors count those events once without remembering them.
 */

const PROCESSORS: ProcessorName[] = ['sessionizer', 'aggregator', 'fraud-detector'];
const BATCH = 500;
const RESEND_EVERY = 5;
/** withRetries re-sends batches 0, 5, 10, …: batch 2 is sent once, so its events can go without ids. */
const WITHOUT_IDS = { from: 2 * BATCH, to: 3 * BATCH };

const withoutIdsInBatch2 = (inputs: ClickEventInput[]): ClickEventInput[] =>
  inputs.map((e, i) =>
    i >= WITHOUT_IDS.from && i < WITHOUT_IDS.to ? { ...e, event_id: undefined } : e,
  );

/** The batches as sent: each one, and after it the previous one again (shuffled) when that one is re-sent. */
function withRetries(inputs: ClickEventInput[]): { bodies: ClickEventInput[][]; resent: number } {
  const batches: ClickEventInput[][] = [];
  for (let i = 0; i < inputs.length; i += BATCH) batches.push(inputs.slice(i, i + BATCH));
  const bodies: ClickEventInput[][] = [];
  let resent = 0;
  batches.forEach((batch, i) => {
    bodies.push(batch);
    if (i > 0 && (i - 1) % RESEND_EVERY === 0) {
      bodies.push(new Rng(i).shuffle([...batches[i - 1]]));
      resent += batches[i - 1].length;
    }
  });
  return { bodies, resent };
}

async function duplicatesCounted(s: FaultStack, url: string, name: ProcessorName): Promise<number> {
  const metric = `${name.replace('-', '_')}_duplicate_events_total`;
  return (await scrapedSum(url, metric, `processor="${s.group(name)}"`)) ?? 0;
}

const rememberedRows = async (s: FaultStack) =>
  Number(
    (await s.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM stream_dedupe`)).rows[0].n,
  );

describe('dedupe: re-sent batches count once (through ingest, 6 partitions)', () => {
  const stacks: FaultStack[] = [];
  let traffic: Traffic;

  beforeAll(() => {
    traffic = buildTraffic({ seed: 43, count: 30_000, ratePerSecond: 12 });
  });

  afterAll(async () => {
    for (const s of stacks) await s.cleanup();
  });

  it('results equal the reference of the traffic sent once; duplicates counted, the conflict dead-lettered, ids forgotten', async () => {
    const s = await FaultStack.create('dedupe');
    stacks.push(s);
    await runDedupe(s, traffic, { kill: false });
  }, 300_000);

  it('still, with each processor SIGKILLed and restarted while the re-sent batches arrive', async () => {
    const s = await FaultStack.create('dedupekill');
    stacks.push(s);
    await runDedupe(s, traffic, { kill: true });
  }, 300_000);
});

async function runDedupe(s: FaultStack, traffic: Traffic, o: { kill: boolean }): Promise<void> {
  const services = await s.startAll(['ingest', ...PROCESSORS]);
  const sender = new IngestSender(services.get('ingest')!.url('/v1/events'));
  const { bodies, resent } = withRetries(withoutIdsInBatch2(traffic.inputs));
  for (const [i, body] of bodies.entries()) {
    await sender.sendAll(body, body.length);
    // Mid-stream, with re-sent batches before and after: each processor dies and a new one takes over.
    if (o.kill && i === Math.floor(bodies.length / 2)) {
      for (const svc of s.services.filter((x) => (PROCESSORS as string[]).includes(x.name)))
        await svc.stop('SIGKILL');
      for (const p of PROCESSORS) await s.start(p);
    }
  }
  // The same id, other content: the first one counts, this one is dead-lettered by each processor.
  const first = traffic.inputs[123];
  const conflicting = { ...first, event_type: first.event_type === 'view' ? 'cart' : 'view' };
  await sender.sendAll([conflicting]);

  await s.waitForLagZero(
    PROCESSORS,
    Date.now() + 120_000,
    'every processor past the re-sent batches',
  );
  const rememberedBefore = await rememberedRows(s);
  // Clock events days later move every watermark past the horizon: the ids are forgotten.
  await sender.sendAll(traffic.tail);
  const unmet = await pendingResults(s, traffic, PROCESSORS);
  await s.waitForLagZero(PROCESSORS, Date.now() + 60_000, 'lag 0');
  const rememberedAfter = await rememberedRows(s);

  const counted: Record<string, number> = {};
  if (!o.kill)
    for (const p of PROCESSORS)
      counted[p] = await duplicatesCounted(s, services.get(p)!.url('/metrics'), p);
  await s.stopServices();

  // Every id a client sent, once per processor; none that ingest minted.
  const minted = WITHOUT_IDS.to - WITHOUT_IDS.from;
  expect(rememberedBefore).toBe(PROCESSORS.length * (traffic.inputs.length - minted));
  // Only the clock events (days later) are still within the horizon.
  expect(rememberedAfter).toBeLessThanOrEqual(PROCESSORS.length * traffic.tail.length);
  // A killed process takes its counters with it: exact counts are checked in the run without kills.
  if (!o.kill)
    expect(counted).toEqual({ sessionizer: resent, aggregator: resent, 'fraud-detector': resent });
  await expectResults(s, traffic, PROCESSORS, { unmet, deadLetters: PROCESSORS.length });
  const dead = (await readWholeTopic(testKafka(), s.topics.eventsDlq, PARTITIONS)).map(
    (r) => JSON.parse(r.value!) as { reason: string; original: string },
  );
  expect(
    dead.map((d) => `${d.reason} ${(JSON.parse(d.original) as { event_id: string }).event_id}`),
  ).toEqual(PROCESSORS.map(() => `conflicting_duplicate ${first.event_id}`));
}
