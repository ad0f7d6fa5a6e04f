import { ClickEvent, clickEventIdempotency } from '@clickstream/contracts';
import { Serdes, SourceDefinition } from '@clickstream/streams';

/**
 * clickstream.events.v1 as every processor reads it (SPEC §2, §4): keys are user ids (string),
 * values the contract's JSON event, event time is `event_time`, and with a horizon set, retried
 * events are dropped by their idempotency key in the node named `dedupeName`.
 */
export function clickEventSource(
  dedupeName: string,
  dedupeHorizonMs?: number,
): Omit<SourceDefinition<ClickEvent>, 'topic'> {
  return {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<ClickEvent>(),
    timestamp: (event) => Date.parse(event.event_time),
    dedupe: dedupeHorizonMs
      ? { name: dedupeName, ...clickEventIdempotency, horizonMs: dedupeHorizonMs }
      : undefined,
  };
}
