/**
 * What bench:e2e makes of one step's samples: whether every lag stayed bounded, the CPU, RSS and
 * latency figures it prints, the soak's verdict on memory, and the plot of lag and RSS over time.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { quantile } from './bench-stack';
import { BoxCpu } from './box-cpu';
import { FloodProbe, formatLatencies } from './flood-probe';
import { KillResult, reportKill } from './kill-recovery';
import { OldGeneration, promotionRate } from './heap-spaces';
import { SendResult } from './paced-sender';
import { Panel, svgDocument } from './svg-plot';

/** Alert latencies count from this long after the step starts. */
export const WARMUP_MS = 30_000;
export const MINUTE = 60_000;

export interface Sample {
  t: number;
  lag: Record<string, number>;
  cpu: Record<string, number>;
  rss: Record<string, number>;
  /** Per service, when its /metrics answered (absent in results saved before 2026-12-05). */
  old?: Record<string, OldGeneration>;
  box: BoxCpu;
  /** Postgres's WAL written so far (the whole server). */
  walBytes: number;
  /**
   * Full-page images in that WAL, and checkpoints the WAL's volume forced (max_wal_size), so far
   * (absent before 2026-12-06, 07:45). After a checkpoint a page's first change logs the whole page.
   */
  walFullPages?: number;
  checkpointsRequested?: number;
}

export interface StepResult {
  rate: number;
  users: number;
  run: SendResult;
  samples: Sample[];
  bounded: Record<string, { slope: number; maxLag: number; ok: boolean }>;
  sustained: boolean;
  p99: number;
  latencies: string;
  /**
   * The same floods split at the alert's detected_at: ingest, Kafka and the detector's fetch and
   * processing; then its commit, outbox transaction and the consumer (absent before 2026-12-05, 18:00).
   */
  spans?: { toDetected: string; detectedToSeen: string };
  cpuPercent: Record<string, number>;
  peakRss: Record<string, number>;
  /**
   * Bytes per second promoted into each service's old generation over the last 3 minutes (absent in
   * results saved before 2026-12-05, 10:00).
   */
  promoted?: Record<string, number | undefined>;
  /** Over the last 3 minutes, % of one core: Postgres, broker, generator, the machine, services. */
  boxPercent: Record<keyof BoxCpu | 'services', number>;
  /** Over the last 3 minutes: WAL bytes per event offered. */
  walPerEvent: number;
  /** Over the last 3 minutes: full-page images per 1,000 events, checkpoints forced by WAL volume. */
  walFullPagesPer1000?: number;
  checkpointsRequested?: number;
  /** Per table at the end: updates, and the share of them that were HOT (no index entries). */
  updates: Record<string, { updates: number; hot: number }>;
  /** With --kill: the processor's SIGKILL and its recovery. */
  killed?: KillResult;
}

/** Least-squares slope (per second) of `ys` over `xs` (ms). */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 1000;
}

export function summarise(
  updates: StepResult['updates'],
  rate: number,
  users: number,
  run: SendResult,
  samples: Sample[],
  probe: FloodProbe,
): StepResult {
  const end = samples[samples.length - 1].t;
  const last3 = samples.filter((s) => s.t >= end - 3 * MINUTE);
  const bounded: StepResult['bounded'] = {};
  for (const group of Object.keys(samples[0].lag)) {
    const points = last3.map((s) => [s.t, s.lag[group]] as [number, number]);
    const maxLag = Math.max(...points.map(([, y]) => y));
    const perSecond = slope(points);
    bounded[group] = {
      slope: perSecond,
      maxLag,
      ok: perSecond <= 0.01 * rate && maxLag <= 5 * rate,
    };
  }
  const first = samples[0];
  const cpuPercent: Record<string, number> = {};
  const peakRss: Record<string, number> = {};
  const promoted: Record<string, number | undefined> = {};
  for (const name of Object.keys(first.cpu)) {
    const last = samples[samples.length - 1];
    cpuPercent[name] = ((last.cpu[name] - first.cpu[name]) / ((last.t - first.t) / 1000)) * 100;
    peakRss[name] = Math.max(...samples.map((s) => s.rss[name]));
    promoted[name] = promotionRate(last3.map((s) => ({ t: s.t, old: s.old?.[name] })));
  }
  const from = last3[0];
  const to = samples[samples.length - 1];
  const seconds = (to.t - from.t) / 1000;
  const boxPercent = Object.fromEntries(
    (Object.keys(from.box) as Array<keyof BoxCpu>).map((k) => [
      k,
      ((to.box[k] - from.box[k]) / seconds) * 100,
    ]),
  ) as StepResult['boxPercent'];
  boxPercent.services = Object.keys(to.cpu).reduce(
    (sum, name) => sum + ((to.cpu[name] - from.cpu[name]) / seconds) * 100,
    0,
  );
  const walPerEvent = (to.walBytes - from.walBytes) / (seconds * rate);
  const walFullPagesPer1000 =
    to.walFullPages === undefined || from.walFullPages === undefined
      ? undefined
      : ((to.walFullPages - from.walFullPages) * 1000) / (seconds * rate);
  const checkpointsRequested =
    to.checkpointsRequested === undefined || from.checkpointsRequested === undefined
      ? undefined
      : to.checkpointsRequested - from.checkpointsRequested;
  const accepted = run.sent / (run.sent + run.failed || 1);
  const steady = probe.latencies(run.t0 + WARMUP_MS);
  return {
    rate,
    users,
    run,
    samples,
    bounded,
    sustained:
      Object.values(bounded).every((b) => b.ok) && accepted >= 0.99 && probe.missing() === 0,
    p99: quantile(steady, 0.99),
    latencies: `${formatLatencies(steady)}; ${probe.missing()} of ${probe.count} floods without an alert`,
    spans: {
      toDetected: formatLatencies(probe.latencies(run.t0 + WARMUP_MS, 'to-detected')),
      detectedToSeen: formatLatencies(probe.latencies(run.t0 + WARMUP_MS, 'detected-to-seen')),
    },
    cpuPercent,
    peakRss,
    promoted,
    boxPercent,
    walPerEvent,
    walFullPagesPer1000,
    checkpointsRequested,
    updates,
  };
}

export const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

export function report(step: StepResult): void {
  const { run } = step;
  console.log(
    `\n== ${step.rate.toLocaleString('en-US')} events/s offered, ${step.users.toLocaleString('en-US')} users ==`,
  );
  console.log(
    `ingest: ${run.sent.toLocaleString('en-US')} accepted, ${run.failed.toLocaleString('en-US')} refused ${JSON.stringify(run.statuses)} in ${run.elapsedS.toFixed(0)} s = ${Math.round(run.sent / run.elapsedS).toLocaleString('en-US')} events/s (sender at most ${run.maxBehindMs} ms behind)`,
  );
  for (const [group, b] of Object.entries(step.bounded)) {
    console.log(
      `  lag ${group.padEnd(28)} last 3 min: max ${b.maxLag.toLocaleString('en-US').padStart(9)}, slope ${b.slope.toFixed(1).padStart(8)}/s  ${b.ok ? 'bounded' : b.slope > 0.01 * step.rate ? 'GROWING' : 'TOO FAR BEHIND'}`,
    );
  }
  console.log(`  ingest→alert (after ${WARMUP_MS / 1000} s): ${step.latencies}`);
  if (step.spans) {
    console.log(`    received_at → detected_at: ${step.spans.toDetected}`);
    console.log(`    detected_at → seen:        ${step.spans.detectedToSeen}`);
  }
  console.log(
    `  ${'service'.padEnd(16)} ${'CPU %'.padStart(6)} ${'peak RSS'.padStart(9)} ${'promoted, last 3 min'.padStart(21)}`,
  );
  for (const name of Object.keys(step.cpuPercent)) {
    const promoted = step.promoted?.[name];
    console.log(
      `  ${name.padEnd(16)} ${step.cpuPercent[name].toFixed(0).padStart(6)} ${mb(step.peakRss[name]).padStart(9)} ${(promoted === undefined ? '—' : `${(promoted / 2 ** 20).toFixed(2)} MB/s`).padStart(21)}`,
    );
  }
  const box = step.boxPercent;
  console.log(
    `  box, last 3 min (% of one core, ${cpus().length * 100} % in all): machine ${box.machine.toFixed(0)}, Postgres ${box.postgres.toFixed(0)}, broker ${box.broker.toFixed(0)}, load generator ${box.generator.toFixed(0)}, the five services ${box.services.toFixed(0)}`,
  );
  console.log(
    `  Postgres: ${Math.round(step.walPerEvent).toLocaleString('en-US')} B of WAL per event (last 3 min)${fullPages(step)}; updates (HOT share): ${Object.entries(
      step.updates,
    )
      .map(
        ([table, u]) =>
          `${table} ${u.updates.toLocaleString('en-US')} (${(u.hot * 100).toFixed(0)} %)`,
      )
      .join(', ')}`,
  );
  if (step.killed) console.log(`  ${reportKill(step.killed)}`);
  console.log(`  => ${step.sustained ? 'SUSTAINED' : 'not sustained'}`);
}

export function soakVerdict(step: StepResult, fromMinute: number): void {
  const from = step.samples.find((s) => s.t >= fromMinute * MINUTE) ?? step.samples[0];
  const last = step.samples[step.samples.length - 1];
  // The verdict compares two single samples; the range shows where in a GC sawtooth they fell.
  const recent = step.samples.filter((s) => s.t >= last.t - 3 * MINUTE);
  console.log(
    `\nsoak: RSS at minute ${fromMinute} vs at the end (${(last.t / 1000).toFixed(0)} s), within 10 %? (and its range over the last 3 min)`,
  );
  for (const name of Object.keys(last.rss)) {
    const change = (last.rss[name] - from.rss[name]) / from.rss[name];
    const values = recent.map((s) => s.rss[name]).filter((v) => v !== undefined);
    console.log(
      `  ${name.padEnd(16)} ${mb(from.rss[name]).padStart(8)} -> ${mb(last.rss[name]).padStart(8)}  ${(change * 100).toFixed(1)} %  ${Math.abs(change) <= 0.1 ? 'flat    ' : 'NOT FLAT'}  (${mb(Math.min(...values))} – ${mb(Math.max(...values))})`,
    );
  }
  oldGenerationReport(step.samples, from, last);
}

/**
 * What the RSS verdict cannot tell apart: V8 committing old-space pages up to its limit, and live
 * data growing. `used` in the first sample after a full collection is about the live size (plus at
 * most one sample interval of promotions); the sessionizer runs one every 1–3 minutes at 2,000/s.
 */
function oldGenerationReport(samples: Sample[], from: Sample, last: Sample): void {
  if (!from.old || !last.old) return;
  console.log(
    '  old generation at the same two moments: committed; used just after the latest full GC before each (≈ live)',
  );
  for (const name of Object.keys(last.old)) {
    if (!from.old[name]) continue;
    const live = (at: Sample) => {
      const after = liveAfterFullGc(samples, name, at.t);
      return after ? `${mb(after.used).padStart(7)} (${(after.t / 1000).toFixed(0)} s)` : '   none';
    };
    // A sample whose /metrics did not answer in time has no figures; say how many, not nothing.
    const missed = samples.filter((s) => s.old && !s.old[name]).length;
    console.log(
      `  ${name.padEnd(16)} committed ${mb(from.old[name].committed).padStart(7)} -> ${mb(last.old[name].committed).padStart(7)}   live ${live(from)} -> ${live(last)}${missed ? `   (${missed} of ${samples.length} samples without /metrics)` : ''}`,
    );
  }
}

/** The old generation's used size in the latest sample at or before `t` that follows a full GC. */
function liveAfterFullGc(samples: Sample[], name: string, t: number) {
  let found: { used: number; t: number } | undefined;
  for (let i = 1; i < samples.length && samples[i].t <= t; i++) {
    const before = samples[i - 1].old?.[name];
    const now = samples[i].old?.[name];
    if (before && now && now.majorGcs > before.majorGcs)
      found = { used: now.used, t: samples[i].t };
  }
  return found;
}

export function plot(steps: StepResult[], file: string): void {
  const panels: Panel[] = steps.flatMap((step) => [
    {
      title: `${step.rate.toLocaleString('en-US')} events/s, ${step.users.toLocaleString('en-US')} users: consumer lag`,
      yLabel: 'records behind',
      series: Object.keys(step.samples[0].lag).map((g) => ({
        name: g,
        points: step.samples.map((s) => [s.t / 1000, s.lag[g]] as [number, number]),
      })),
    },
    {
      title: `${step.rate.toLocaleString('en-US')} events/s: resident memory`,
      yLabel: 'RSS (MB)',
      series: Object.keys(step.samples[0].rss).map((n) => ({
        name: n,
        points: step.samples.map((s) => [s.t / 1000, s.rss[n] / 2 ** 20] as [number, number]),
      })),
    },
    ...oldGenerationPanels(step),
  ]);
  writeFileSync(file, svgDocument(panels));
}

/** The old generation's committed and used size per service, when the samples have them. */
function oldGenerationPanels(step: StepResult): Panel[] {
  const names = Object.keys(step.samples.find((s) => s.old)?.old ?? {});
  if (names.length === 0) return [];
  const series = (field: 'committed' | 'used') =>
    names.map((n) => ({
      name: n,
      points: step.samples
        .filter((s) => s.old?.[n])
        .map((s) => [s.t / 1000, s.old![n][field] / 2 ** 20] as [number, number]),
    }));
  return [
    {
      title: `${step.rate.toLocaleString('en-US')} events/s: V8 old generation, committed`,
      yLabel: 'committed (MB)',
      series: series('committed'),
    },
    {
      title: `${step.rate.toLocaleString('en-US')} events/s: V8 old generation, used (drops at full GCs)`,
      yLabel: 'used (MB)',
      series: series('used'),
    },
  ];
}

/** The WAL's full-page images and the checkpoints its volume forced, when the samples have them. */
function fullPages(step: StepResult): string {
  if (step.walFullPagesPer1000 === undefined || step.checkpointsRequested === undefined) return '';
  return `, ${step.walFullPagesPer1000.toFixed(0)} full-page images per 1,000 events, ${step.checkpointsRequested} checkpoints forced by its volume`;
}
