import { waitFor } from '../../support/wait-for';
import { waitForHttpOk } from '../../support/services';
import { buildTraffic, FaultStack, ProcessorName, restartPostgres, Traffic } from './fault-harness';
import { expectResults, pendingResults } from './fault-results';

/*
 * Issue 12, fault 2: the local Postgres cluster (pg_ctlcluster, fast shutdown: every connection of
 * every service is terminated) is restarted twice while the processors replay 200,000 events, sent
 * as raw records (the replay is the processors' work; ingest runs too, to show it needs no Postgres).
 * No process may exit, lag must be 0 within 60 s of the last restart, and every result must equal
 * the reference with no record twice on any output topic. Jest runs --runInBand: no other suite
 * has connections open while this one restarts the server.
 */

const PROCESSORS: ProcessorName[] = ['sessionizer', 'aggregator', 'fraud-detector'];
const EVENTS = 200_000;
const RESTART_AT = [0.3, 0.6];

describe('fault: Postgres restarted twice during a 200k-event replay', () => {
  let stack: FaultStack | undefined;
  let traffic: Traffic;

  beforeAll(() => {
    traffic = buildTraffic({ seed: 41, count: EVENTS, ratePerSecond: 50 });
  });

  afterAll(async () => {
    await stack?.cleanup();
  });

  it('no process exits, lag is 0 within 60 s of the last restart, results equal the reference, nothing twice', async () => {
    const began = Date.now();
    stack = await FaultStack.create('pgrestart');
    const s = stack;
    await s.produce(traffic.events);
    await s.produce(traffic.tail);
    const total = traffic.events.length + traffic.tail.length;
    const services = await s.startAll(['ingest', 'metrics', ...PROCESSORS]);

    const restarts: Array<{ at: number[]; tookMs: number }> = [];
    for (const fraction of RESTART_AT) {
      // Triggered by progress, not by time: every processor is at least this far into the replay.
      const at = await waitFor(
        async () => {
          const done = await Promise.all(PROCESSORS.map((p) => s.progress(p)));
          return Math.min(...done) >= total * fraction
            ? done.map((d) => Math.round((d / total) * 100))
            : undefined;
        },
        {
          timeoutMs: 120_000,
          intervalMs: 50,
          what: `every processor at ${fraction * 100} % of the replay`,
        },
      );
      restarts.push({ at, tookMs: await restartPostgres(s.db.url) });
    }
    const lastRestart = Date.now();

    await s.waitForLagZero(
      PROCESSORS,
      lastRestart + 60_000,
      'lag 0 within 60 s after the last Postgres restart',
    );
    const lagZeroAfterMs = Date.now() - lastRestart;
    const unmet = await pendingResults(s, traffic, PROCESSORS);
    s.expectAllAlive();
    for (const svc of services.values()) await waitForHttpOk(svc, '/health/ready', 30_000);
    expect(await s.lag(PROCESSORS)).toEqual({ sessionizer: 0, aggregator: 0, 'fraud-detector': 0 });

    await s.stopServices();
    await expectResults(s, traffic, PROCESSORS, { unmet });
    process.stdout.write(
      `[faults] postgres-restart: restarts at processor progress (%) ${JSON.stringify(restarts)}; lag 0 ${lagZeroAfterMs} ms after the last; case ${Date.now() - began} ms\n`,
    );
  }, 300_000);
});
