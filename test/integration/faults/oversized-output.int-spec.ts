import { ClickEvent } from '@clickstream/contracts';
import { readWholeTopic, testKafka } from '../../support/kafka';
import { waitFor } from '../../support/wait-for';
import { FaultStack, HOUR, PARTITIONS, ProcessorName, START } from './fault-harness';

/*
 * Issue 12, fault 5: late events of ~450 KB each for one user (written past ingest, whose 64 KiB
 * limit would refuse them). Each processor's late record carries the whole event, so one commit's
 * outbox holds several of them: more than the broker takes in one produce request (1 MiB). The
 * outbox must split them over requests in one transaction: every late record published once, lag 0.
 */

const PROCESSORS: ProcessorName[] = ['sessionizer', 'aggregator', 'fraud-detector'];
const LATE = 8;
const PAD_BYTES = 450_000;

function event(id: string, time: number, pad = ''): ClickEvent {
  const at = new Date(time).toISOString();
  return {
    event_id: id,
    event_time: at,
    event_type: 'view',
    user_id: 'heavy-user',
    quantity: 1,
    currency: 'USD',
    properties: pad ? { pad } : {},
    received_at: at,
  } as ClickEvent;
}

describe('fault: late events of ~450 KB, several per commit', () => {
  let stack: FaultStack | undefined;

  afterAll(async () => {
    await stack?.cleanup();
  });

  it('publishes every late record once, split over produce requests, and lag reaches 0', async () => {
    const began = Date.now();
    stack = await FaultStack.create('oversized');
    const s = stack;
    // One current event moves the user's partition watermark an hour on; the big ones are behind it.
    await s.produce([event('now', START + HOUR)]);
    const late = Array.from({ length: LATE }, (_, i) =>
      event(`late-${i}`, START + i * 1000, `${i}`.padEnd(PAD_BYTES, 'x')),
    );
    await s.produce(late, 1);
    await s.startAll(PROCESSORS);

    await s.waitForLagZero(PROCESSORS, Date.now() + 90_000, 'lag 0 with the oversized late events');
    const records = await waitFor(
      async () => {
        const all = await readWholeTopic(testKafka(), s.topics.late, PARTITIONS);
        return all.length >= LATE * PROCESSORS.length ? all : undefined;
      },
      { timeoutMs: 60_000, what: `${LATE * PROCESSORS.length} late records` },
    );
    const parsed = records.map((r) => ({
      bytes: r.value!.length,
      v: JSON.parse(r.value!) as { processor: string; event: ClickEvent | null },
    }));
    for (const p of PROCESSORS) {
      const mine = parsed.filter((r) => r.v.processor === s.group(p));
      // Each exactly once, carrying the whole event (under the 512 KiB cut).
      expect(mine.map((r) => r.v.event?.event_id).sort()).toEqual(
        late.map((e) => e.event_id).sort(),
      );
      expect(mine.every((r) => r.bytes > PAD_BYTES)).toBe(true);
    }
    s.expectAllAlive();
    process.stdout.write(
      `[faults] oversized-output: ${parsed.length} late records of ~${Math.round(PAD_BYTES / 1000)} KB published; case ${Date.now() - began} ms\n`,
    );
  }, 240_000);
});
