import type { ClickEvent } from './event.schema';

/**
 * How a processor tells a retried event from a new one (SPEC §2: `event_id` is the idempotency
 * key). A client whose 202 was lost sends the same batch again; ingest stamps a new `received_at`,
 * so the fingerprint is everything else. Ingest-assigned ids (ULIDs) are unique, so an event sent
 * without an id is never a duplicate of another.
 */
export const clickEventIdempotency = {
  id: (event: ClickEvent): string => event.event_id,
  fingerprint: (event: ClickEvent): string => {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { received_at, ...content } = event;
    return JSON.stringify(content);
  },
};

/** The default horizon: ids are remembered for 24 h of event time behind the watermark. */
export const DEFAULT_DEDUPE_HORIZON_MS = 24 * 3_600_000;
