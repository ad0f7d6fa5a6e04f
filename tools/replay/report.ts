import { Presets, SingleBar } from 'cli-progress';
import type { ReplayOutcome, ReplayStats } from './replay';

const TTY_REFRESH_MS = 200;
const LINE_EVERY_MS = 5000;
const RATE_WINDOW_MS = 5000;

export interface ProgressInput {
  stats: ReplayStats;
  /** Milliseconds since the replay started. */
  elapsedMs(): number;
  bytesRead(): number;
  totalBytes: number;
  /** --limit: the total is at most this. */
  limit?: number;
}

export interface Progress {
  stop(): void;
}

/**
 * A cli-progress bar on a TTY (events sent of the estimated total, events/s, rejected, ETA), else
 * one plain line every 5 s; nothing when disabled. Polls the stats, so the replay never waits on it.
 */
export function startProgress(
  input: ProgressInput,
  opts: { enabled: boolean; tty: boolean; write: (line: string) => void },
): Progress {
  if (!opts.enabled) return { stop: () => undefined };
  const meter = new RateMeter(RATE_WINDOW_MS);
  const sample = () => {
    const elapsed = input.elapsedMs();
    return {
      eps: meter.rate(elapsed, input.stats.sent),
      total: capped(
        estimateTotal(input.stats.read, input.bytesRead(), input.totalBytes),
        input.limit,
      ),
    };
  };

  if (!opts.tty) {
    const timer = setInterval(() => {
      const { eps } = sample();
      const { stats } = input;
      const share =
        input.totalBytes > 0
          ? ` | ~${Math.floor((100 * input.bytesRead()) / input.totalBytes)}% of the file read`
          : '';
      opts.write(
        `[replay] ${fmt(stats.sent)} events sent (accepted ${fmt(stats.accepted)}, rejected ${fmt(stats.rejected)}) | ${fmt(eps)} events/s${share}`,
      );
    }, LINE_EVERY_MS);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  const bar = new SingleBar(
    {
      format:
        'replay |{bar}| {percentage}% | {value}/{total} events | {eps} events/s | rejected {rejected} | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
      formatValue: (value, _options, type) =>
        type === 'value' || type === 'total' ? fmt(value) : String(value),
    },
    Presets.shades_classic,
  );
  bar.start(1, 0, { eps: '0', rejected: '0' });
  const timer = setInterval(() => {
    const { eps, total } = sample();
    bar.setTotal(Math.max(total ?? 0, input.stats.sent, 1));
    bar.update(input.stats.sent, { eps: fmt(eps), rejected: fmt(input.stats.rejected) });
  }, TTY_REFRESH_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      bar.setTotal(Math.max(input.stats.sent, 1));
      bar.update(input.stats.sent, {
        eps: fmt(meter.rate(input.elapsedMs(), input.stats.sent)),
        rejected: fmt(input.stats.rejected),
      });
      bar.stop();
    },
  };
}

/**
 * Events the whole file will give, from the events read so far and the share of the file read
 * (the line-count estimate of a file whose events are of similar size); undefined before data.
 */
export function estimateTotal(
  read: number,
  bytesRead: number,
  totalBytes: number,
): number | undefined {
  if (read === 0 || bytesRead <= 0 || totalBytes <= 0) return undefined;
  return Math.max(read, Math.round((read * totalBytes) / Math.min(bytesRead, totalBytes)));
}

function capped(total: number | undefined, limit: number | undefined): number | undefined {
  if (limit === undefined) return total;
  return total === undefined ? limit : Math.min(total, limit);
}

/** Events per second over the last few seconds (since start while younger than the window). */
export class RateMeter {
  private readonly samples: Array<{ t: number; count: number }> = [{ t: 0, count: 0 }];

  constructor(private readonly windowMs: number) {}

  rate(t: number, count: number): number {
    this.samples.push({ t, count });
    while (this.samples.length > 2 && this.samples[1].t <= t - this.windowMs) this.samples.shift();
    const first = this.samples[0];
    return t > first.t ? ((count - first.count) * 1000) / (t - first.t) : 0;
  }
}

export interface SummaryContext {
  file: string;
  format: string;
  target: string;
  pacing: string;
}

/** The final JSON line (one line, stable keys first) that scripts and tests parse. */
export function summaryJson(outcome: ReplayOutcome): string {
  const { stats } = outcome;
  const durationS = stats.elapsedMs / 1000;
  return JSON.stringify({
    sent: stats.sent,
    accepted: stats.accepted,
    rejected: stats.rejected,
    duration_s: round(durationS, 3),
    rate_eps: round(durationS > 0 ? stats.sent / durationS : 0, 1),
    read_rejected: stats.readRejected,
    requests: stats.requests,
    complete: outcome.error === undefined && !outcome.interrupted,
    ...(outcome.interrupted ? { interrupted: true } : {}),
    ...(outcome.error !== undefined ? { error: errorMessage(outcome.error) } : {}),
  });
}

/** The human summary, as plain lines. */
export function summaryLines(outcome: ReplayOutcome, context: SummaryContext): string[] {
  const { stats } = outcome;
  const durationS = stats.elapsedMs / 1000;
  const state =
    outcome.error !== undefined ? 'FAILED' : outcome.interrupted ? 'interrupted' : 'done';
  const lines = [
    `replay ${state}`,
    `  file       ${context.file} (${context.format})`,
    `  to         ${context.target}`,
    `  pacing     ${context.pacing}`,
    `  sent       ${fmt(stats.sent)} events (${fmt(stats.requests)} ${stats.requests === 1 ? 'request' : 'requests'})`,
    `  accepted   ${fmt(stats.accepted)}`,
    `  rejected   ${fmt(stats.rejected)}${stats.readRejected > 0 ? ` (${fmt(stats.readRejected)} while reading the file, never sent)` : ''}`,
    `  duration   ${durationS.toFixed(1)} s`,
    `  rate       ${fmt(durationS > 0 ? stats.sent / durationS : 0)} events/s`,
  ];
  if (stats.issuesByField.size > 0) {
    const byField = [...stats.issuesByField]
      .sort((a, b) => b[1] - a[1])
      .map(([field, n]) => `${field} ${fmt(n)}`);
    lines.push(`  issues     ${byField.join(', ')}`);
    lines.push('  first rejections:');
    for (const e of stats.firstErrors) lines.push(`    ${e.where}: ${e.field} ${e.message}`);
  }
  if (outcome.error !== undefined) lines.push(`  error      ${errorMessage(outcome.error)}`);
  return lines;
}

export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
