/**
 * Offers traffic to ingest at a fixed rate: one NDJSON request every `intervalMs` on a fixed
 * schedule, without waiting for the previous answer (a client population does not wait either).
 * Generated events are moved onto the wall clock (event time = now, as live traffic); click floods
 * for the FloodProbe are mixed in.
 */
import { ClickEventInput } from '@clickstream/contracts';
import { sleep } from './bench-stack';
import { CLICK_FLOOD, FLOOD_EVENTS, FloodProbe } from './flood-probe';

const FLOOD_SPREAD_TICKS = 10;
const FLOOD_WINDOW_MS = CLICK_FLOOD.window_ms;

export interface PacedSenderOptions {
  ingestUrl: string;
  /** Events/s offered in total (normal traffic plus floods). */
  rate: number;
  intervalMs: number;
  durationS: number;
  floodsPerSecond: number;
  /** Generated traffic; its event times are shifted so that `genStart` is the run's start. */
  normal: Iterator<ClickEventInput>;
  genStart: number;
  probe?: FloodProbe;
  /** Unique part of the flood users' ids. */
  stamp: string;
  /** Called about once a second with the run's progress. */
  onSecond?: (elapsedS: number) => void;
}

export interface SendResult {
  t0: number;
  elapsedS: number;
  sent: number;
  failed: number;
  /** Answers other than 202, by status. */
  statuses: Record<string, number>;
  maxBehindMs: number;
}

export async function sendPaced(o: PacedSenderOptions): Promise<SendResult> {
  const ticks = Math.round((o.durationS * 1000) / o.intervalMs);
  const normalRate = o.rate - o.floodsPerSecond * FLOOD_EVENTS;
  const perTick = normalRate / (1000 / o.intervalMs);
  const floodEvery = o.floodsPerSecond > 0 ? 1000 / o.floodsPerSecond / o.intervalMs : Infinity;
  const active: Array<{ user: string; left: number }> = [];
  const inflight = new Set<Promise<void>>();
  const result: SendResult = {
    t0: Date.now() + 200,
    elapsedS: 0,
    sent: 0,
    failed: 0,
    statuses: {},
    maxBehindMs: 0,
  };
  let floodNo = 0;
  let nextFlood = 0;
  let lastSecond = 0;
  for (let k = 0; k < ticks; k++) {
    const due = result.t0 + k * o.intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    result.maxBehindMs = Math.max(result.maxBehindMs, Date.now() - due);
    const now = Date.now();
    const lines: string[] = [];
    const take = Math.round((k + 1) * perTick) - Math.round(k * perTick);
    for (let i = 0; i < take; i++) {
      const next = o.normal.next();
      if (next.done) break;
      const shifted = result.t0 + (Date.parse(String(next.value.event_time)) - o.genStart);
      lines.push(
        JSON.stringify({
          ...next.value,
          event_time: new Date(Math.min(shifted, now)).toISOString(),
        }),
      );
    }
    // A flood starts only when its second of clicks fits in one click_flood window and in the run.
    if (k >= nextFlood && k + FLOOD_SPREAD_TICKS <= ticks) {
      nextFlood += floodEvery;
      const end = now + FLOOD_SPREAD_TICKS * o.intervalMs + 500;
      if (o.probe && Math.floor(now / FLOOD_WINDOW_MS) === Math.floor(end / FLOOD_WINDOW_MS)) {
        const user = `flood-${o.stamp}-${floodNo++}`;
        o.probe.add(user, due);
        active.push({ user, left: FLOOD_EVENTS });
      }
    }
    for (const flood of active) {
      const n = Math.min(flood.left, Math.ceil(FLOOD_EVENTS / FLOOD_SPREAD_TICKS));
      const click = JSON.stringify({
        event_time: new Date(now).toISOString(),
        event_type: 'click',
        user_id: flood.user,
        ip: '203.0.113.7',
        country: 'US',
      });
      for (let i = 0; i < n; i++) lines.push(click);
      flood.left -= n;
    }
    for (let i = active.length - 1; i >= 0; i--) if (active[i].left === 0) active.splice(i, 1);
    post(o.ingestUrl, lines, result, inflight);
    const second = Math.floor((Date.now() - result.t0) / 1000);
    if (second > lastSecond) {
      lastSecond = second;
      o.onSecond?.(second);
    }
  }
  await Promise.all(inflight);
  result.elapsedS = (Date.now() - result.t0) / 1000;
  return result;
}

function post(
  url: string,
  lines: string[],
  result: SendResult,
  inflight: Set<Promise<void>>,
): void {
  const count = lines.length;
  if (count === 0) return;
  const request: Promise<void> = fetch(`${url}/v1/events`, {
    method: 'POST',
    body: lines.join('\n'),
    headers: { 'content-type': 'application/x-ndjson' },
    signal: AbortSignal.timeout(30_000),
  }).then(
    async (res) => {
      await res.arrayBuffer();
      if (res.status === 202) result.sent += count;
      else {
        result.failed += count;
        result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
      }
    },
    (err: Error) => {
      result.failed += count;
      result.statuses[err.name] = (result.statuses[err.name] ?? 0) + 1;
    },
  );
  inflight.add(request);
  void request.finally(() => inflight.delete(request));
}
