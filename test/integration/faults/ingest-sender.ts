/**
 * The fault suite's ingest client: it sends events as a careful client would while a fault lasts,
 * and keeps what ingest answered (fault-harness.ts sends raw to Kafka instead).
 */
import { RateLimiter } from '../../../tools/shared/rate-limiter';

export interface IngestAnswer {
  at: number;
  status: number;
  retryAfter: string | null;
}

/**
 * A client that never loses an event: NDJSON requests in order, each retried on 503 after the
 * Retry-After the answer names (ingest accepted nothing of it), at `eventsPerSecond` when given.
 * Every answer other than 202 is kept, so a test can see what ingest said while a fault lasted.
 */
export class IngestSender {
  accepted = 0;
  readonly refusals: IngestAnswer[] = [];
  /** event_ids of requests answered 504 (committed all or none): sent again, so maybe on the topic twice. */
  readonly inDoubtIds: string[] = [];
  private readonly limiter: RateLimiter | undefined;

  constructor(
    private readonly url: string,
    eventsPerSecond?: number,
  ) {
    this.limiter = eventsPerSecond ? new RateLimiter(eventsPerSecond) : undefined;
  }

  async sendAll(events: readonly unknown[], chunk = 1000): Promise<void> {
    for (let i = 0; i < events.length; i += chunk) {
      const batch = events.slice(i, i + chunk);
      await this.limiter?.take(batch.length);
      await this.sendOne(batch.map((e) => JSON.stringify(e)).join('\n'), batch);
    }
  }

  private async sendOne(
    body: string,
    batch: readonly unknown[],
    giveUpAfterMs = 180_000,
  ): Promise<void> {
    const n = batch.length;
    const started = Date.now();
    for (;;) {
      const res = await fetch(this.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-ndjson' },
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      if (res.status === 202) {
        const accepted = (JSON.parse(text) as { accepted: number }).accepted;
        if (accepted !== n) throw new Error(`ingest accepted ${accepted} of ${n} events: ${text}`);
        this.accepted += n;
        return;
      }
      const retryAfter = res.headers.get('retry-after');
      this.refusals.push({ at: Date.now(), status: res.status, retryAfter });
      // 504: Kafka left the commit unanswered; sending the same event_ids again is safe (SPEC §2).
      if (res.status === 504)
        for (const e of batch) this.inDoubtIds.push(String((e as { event_id: unknown }).event_id));
      if ((res.status !== 503 && res.status !== 504) || Date.now() - started > giveUpAfterMs)
        throw new Error(
          `ingest answered ${res.status} (Retry-After ${retryAfter}): ${text.slice(0, 500)}`,
        );
      // As a client must: wait what the server asked (1 s when it named nothing usable).
      const seconds = Number(retryAfter);
      await new Promise((r) =>
        setTimeout(r, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000),
      );
    }
  }
}
