import type { ClickEvent } from './event.schema';

/** How the stored event ends: received_at is its last member (validateEvent builds it so). */
const RECEIVED_AT = Buffer.from(',"received_at":"');
const QUOTE = 0x22;

/**
 * The Kafka header ingest puts on an event whose `event_id` it minted (SPEC §2: a ULID when the
 * client sent none). Such an id is unique by construction: ingest mints it once per accepted event
 * and publishes each record in one transaction, committed once or aborted (never sent again), and a
 * client that sends the event again sends it without an id and so gets a new one. The processors
 * therefore neither look it up nor remember it: an id-less event costs the dedupe nothing.
 */
export const ASSIGNED_EVENT_ID_HEADER = 'clickstream-assigned-event-id';

/** The headers of a record whose id was minted (kafkajs' shape; node-rdkafka takes a list of them). */
export const ASSIGNED_EVENT_ID_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  [ASSIGNED_EVENT_ID_HEADER]: '1',
});

/**
 * How a processor tells a retried event from a new one (SPEC §2: `event_id` is the idempotency
 * key). A client whose 202 was lost sends the same batch again; ingest stamps a new `received_at`,
 * so the fingerprint is everything else. Ingest-assigned ids (ULIDs) are unique, so an event sent
 * without an id is never a duplicate of another: marked by ASSIGNED_EVENT_ID_HEADER, it has no id
 * to remember (null).
 *
 * The fingerprint hashes the stored JSON's bytes around `received_at` (every writer stores the
 * event as validateEvent builds it, so the same content has the same bytes): 0.6 µs a record,
 * where re-serialising the parsed event and hashing it with MD5 took 5.3 µs.
 */
export const clickEventIdempotency = {
  id: (event: ClickEvent, headers: Readonly<Record<string, unknown>>): string | null =>
    headers[ASSIGNED_EVENT_ID_HEADER] === undefined ? event.event_id : null,
  fingerprint: (_event: ClickEvent, raw: Buffer): number => {
    // The last occurrence: a `received_at` key inside properties comes before it.
    const at = raw.lastIndexOf(RECEIVED_AT);
    if (at < 0) return hash53(raw, 0, raw.length, raw.length);
    const end = raw.indexOf(QUOTE, at + RECEIVED_AT.length);
    return hash53(raw, at, end < 0 ? raw.length : end + 1, raw.length);
  },
};

/**
 * A 53-bit hash (a safe integer) of `bytes` without [skipFrom, skipTo): two FNV-1a passes with
 * different offset bases. Not cryptographic; it only has to tell a retry from another content.
 */
export function hash53(bytes: Buffer, skipFrom: number, skipTo: number, length: number): number {
  const state = { h1: 0x811c9dc5, h2: 0x050c5d1f };
  // Two loops around the skipped range keep the per-byte loop free of a branch on it.
  fnv2(bytes, 0, Math.min(skipFrom, length), state);
  fnv2(bytes, skipTo, length, state);
  return (state.h1 >>> 0) * 2 ** 21 + ((state.h2 >>> 0) >>> 11);
}

/** Both FNV-1a passes over bytes [from, to). */
function fnv2(bytes: Buffer, from: number, to: number, state: { h1: number; h2: number }): void {
  let h1 = state.h1;
  let h2 = state.h2;
  for (let i = from; i < to; i++) {
    const byte = bytes[i];
    h1 = Math.imul(h1 ^ byte, 0x01000193);
    h2 = Math.imul(h2 ^ byte, 0x01000193);
  }
  state.h1 = h1;
  state.h2 = h2;
}

/** The default horizon: ids are remembered for 24 h of event time behind the watermark. */
export const DEFAULT_DEDUPE_HORIZON_MS = 24 * 3_600_000;
