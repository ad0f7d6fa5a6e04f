/**
 * Ingest→alert latency, measured as a consumer would see it: click floods (a new user with 60
 * clicks in 1 s, so the 51st crosses click_flood's > 50 per minute) are mixed into the traffic; a
 * read_committed consumer of the events topic finds each flood's 51st click in partition order (as
 * the detector counts) and its received_at; a read_committed consumer of the alerts topic notes
 * when the flood's alert is seen. latency = seen − received_at (one machine, one clock).
 */
import { Consumer } from 'kafkajs';
import { DEFAULT_RULE_SETTINGS } from '@clickstream/contracts';
import { BenchStack, quantile, sleep } from './bench-stack';

/** click_flood as the benchmarks run it: the SPEC §7 defaults (more than 50 clicks in 1 min). */
export const CLICK_FLOOD = DEFAULT_RULE_SETTINGS.click_flood;
export const FLOOD_EVENTS = 60;

interface Flood {
  user: string;
  startedAt: number;
  triggerReceivedAt?: number;
  alertSeenAt?: number;
  detectedAt?: number;
}

export type Span = 'total' | 'to-detected' | 'detected-to-seen';

export class FloodProbe {
  private readonly floods = new Map<string, Flood>();
  private readonly counts = new Map<string, number>();
  private readonly consumers: Consumer[] = [];
  otherAlerts = 0;

  constructor(private readonly stack: BenchStack) {}

  async start(): Promise<void> {
    const { kafka, topics, prefix } = this.stack;
    // The probe shares the box with what it measures, so it asks the broker little: no offset
    // commits (fresh groups read from the beginning), and long polls, which the broker answers as
    // soon as records are committed. The events consumer's delay does not enter a latency (it reads
    // received_at from the record), so it also waits for 64 KiB.
    const events = kafka.consumer({
      groupId: `${prefix}bench-events`,
      maxWaitTimeInMs: 500,
      minBytes: 64 * 1024,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    const alerts = kafka.consumer({ groupId: `${prefix}bench-alerts`, maxWaitTimeInMs: 500 });
    this.stack.groups.push(`${prefix}bench-events`, `${prefix}bench-alerts`);
    this.consumers.push(events, alerts);
    await Promise.all([events.connect(), alerts.connect()]);
    const joined = Promise.all([events, alerts].map((consumer) => joinedGroup(consumer)));
    joined.catch(() => undefined); // awaited below; a rejection before that must not crash the process
    await events.subscribe({ topic: topics.events, fromBeginning: true });
    await alerts.subscribe({ topic: topics.alerts, fromBeginning: true });
    await events.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const user = m.key?.toString() ?? '';
          if (!user.startsWith('flood-')) continue;
          const n = (this.counts.get(user) ?? 0) + 1;
          this.counts.set(user, n);
          const flood = n === CLICK_FLOOD.threshold + 1 ? this.floods.get(user) : undefined;
          if (flood)
            flood.triggerReceivedAt = Date.parse(
              (JSON.parse(m.value!.toString()) as { received_at: string }).received_at,
            );
        }
      },
    });
    await alerts.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const seenAt = Date.now();
        const alert = JSON.parse(message.value!.toString()) as {
          rule: string;
          user_id: string | null;
          detected_at: string;
        };
        const flood = alert.user_id ? this.floods.get(alert.user_id) : undefined;
        if (alert.rule === 'click_flood' && flood && flood.alertSeenAt === undefined) {
          flood.alertSeenAt = seenAt;
          flood.detectedAt = Date.parse(alert.detected_at);
        } else this.otherAlerts++;
      },
    });
    // Both consumers in their groups before the first event, so no latency counts a join.
    await joined;
  }

  add(user: string, startedAt: number): void {
    this.floods.set(user, { user, startedAt });
  }

  get count(): number {
    return this.floods.size;
  }

  missing(): number {
    return [...this.floods.values()].filter((f) => f.alertSeenAt === undefined).length;
  }

  /** Waits until every flood's alert and trigger were seen, or `timeoutMs`. */
  async settle(timeoutMs = 30_000): Promise<void> {
    const list = [...this.floods.values()];
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
      if (list.every((f) => f.alertSeenAt !== undefined && f.triggerReceivedAt !== undefined))
        return;
    }
  }

  /** Sorted latencies (ms) of the floods started at or after `from`. */
  latencies(from = 0, span: Span = 'total'): number[] {
    const pick = (f: Required<Flood>) =>
      span === 'total'
        ? f.alertSeenAt - f.triggerReceivedAt
        : span === 'to-detected'
          ? f.detectedAt - f.triggerReceivedAt
          : f.alertSeenAt - f.detectedAt;
    return [...this.floods.values()]
      .filter(
        (f) =>
          f.startedAt >= from && f.alertSeenAt !== undefined && f.triggerReceivedAt !== undefined,
      )
      .map((f) => pick(f as Required<Flood>))
      .sort((a, b) => a - b);
  }

  /** One CSV line per flood: when (ms after t0) and its spans. */
  trace(t0: number): string[] {
    return [...this.floods.values()]
      .filter((f) => f.alertSeenAt !== undefined && f.triggerReceivedAt !== undefined)
      .map((f) =>
        [
          f.triggerReceivedAt! - t0,
          f.alertSeenAt! - f.triggerReceivedAt!,
          f.detectedAt! - f.triggerReceivedAt!,
          f.alertSeenAt! - f.detectedAt!,
        ].join(','),
      );
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.disconnect().catch(() => undefined)));
  }
}

export function formatLatencies(xs: number[]): string {
  const q = (p: number) => quantile(xs, p).toFixed(0);
  return `n=${xs.length}  p50 ${q(0.5)} ms  p90 ${q(0.9)} ms  p99 ${q(0.99)} ms  max ${xs.length ? xs[xs.length - 1] : NaN} ms`;
}

/** Resolves when `consumer` joins its group; rejects after `timeoutMs`. */
function joinedGroup(consumer: Consumer, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(`flood probe: consumer did not join its group within ${timeoutMs / 1000} s`),
      );
    }, timeoutMs);
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
