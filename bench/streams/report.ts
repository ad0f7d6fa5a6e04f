import { Histogram, Registry } from 'prom-client';
import type { RawResult } from './consumers';
import { fmt, log } from './format';
import { printPhases } from './phase-timer';
import type { StreamsResult } from './streams-phase';

/** Rates of the raw baseline and the streams app, their ratio, and where the streams time went. */
export async function printReport(
  events: number,
  raw: RawResult,
  streams: StreamsResult,
  registry: Registry,
): Promise<void> {
  printRates(raw, streams);
  await printBatches(events, registry);
  printPhases(streams.fromStartMs);
}

function printRates(raw: RawResult, streams: StreamsResult): void {
  const row = (label: string, rate: number) =>
    log(`| ${label.padEnd(70)} | ${fmt(rate).padStart(11)} |`);
  log('');
  log(`| ${'measurement'.padEnd(70)} | ${'events/s'.padStart(11)} |`);
  log(`|${'-'.repeat(72)}|${'-'.repeat(13)}|`);
  row('raw kafkajs consume+JSON.parse (timed from the first batch)', raw.rate);
  row('streams windowed count (exactly-once, Postgres commit), steady state', streams.rateSteady);
  row(
    'streams windowed count, from start() (incl. group join + task claims)',
    streams.rateFromStart,
  );
  log('');
  log(`raw kafkajs consume+JSON.parse: ${fmt(raw.rate)} events/s`);
  log(
    `streams windowed count (exactly-once, Postgres commit): ${fmt(streams.rateSteady)} events/s (steady state), ${fmt(streams.rateFromStart)} events/s (from start())`,
  );
  const percent = (ratio: number) => `${(ratio * 100).toFixed(0)} %`;
  log(
    `ratio: ${percent(streams.rateSteady / raw.rate)} (steady / raw), ${percent(streams.rateFromStart / raw.rate)} (from start() / raw)`,
  );
  log(`load avg (1 min) after the streams phase: ${streams.loadAfter.toFixed(2)}`);
  log('');
}

/** Sum and count of a histogram of the app's registry, over all its label sets. */
async function histogram(
  registry: Registry,
  name: string,
): Promise<{ sum: number; count: number }> {
  const metric = registry.getSingleMetric(name) as Histogram | undefined;
  const values = metric ? (await metric.get()).values : [];
  const total = (suffix: string) =>
    values
      .filter((sample) => sample.metricName === `${name}${suffix}`)
      .reduce((sum, sample) => sum + sample.value, 0);
  return { sum: total('_sum'), count: total('_count') };
}

async function printBatches(events: number, registry: Registry): Promise<void> {
  const commit = await histogram(registry, 'streams_commit_duration_seconds');
  const batch = await histogram(registry, 'streams_batch_duration_seconds');
  const avg = (sum: number, count: number) => ((sum / Math.max(1, count)) * 1000).toFixed(1);
  log(
    `per batch: ${fmt(batch.count)} batches, avg ${fmt(events / Math.max(1, batch.count))} records, avg ${avg(batch.sum, batch.count)} ms ` +
      `(streams_batch_duration_seconds: process + commit + publish); streams_commit_duration_seconds avg ${avg(commit.sum, commit.count)} ms ` +
      `over ${fmt(commit.count)} commits (${(commit.sum * 1000).toFixed(0)} ms total)`,
  );
}
