import { Kafka } from 'kafkajs';
import { ASSIGNED_EVENT_ID_HEADERS, validateEvent } from '@clickstream/contracts';
import { generateTraffic } from '../../tools/generate/traffic-generator';

export interface GeneratedTraffic {
  events: number;
  /** Events/s of event time. */
  rate: number;
  /** The generator's user count; undefined: its default for the rate (dense). */
  users?: number;
  /** Events without ids: each gets a new one, marked as ingest marks it (ASSIGNED_EVENT_ID_HEADERS). */
  withoutIds?: boolean;
}

/**
 * Produces generated events (tools/generate, seed 7), validated as ingest does, keyed by user_id,
 * to `topic`: the input every processor benchmark reads. Event time ends a day before now, so no
 * event is refused as from the future. Returns how many were produced.
 */
export async function produceGenerated(
  kafka: Kafka,
  topic: string,
  traffic: GeneratedTraffic,
): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const now = Date.now();
  const receivedAt = new Date(now).toISOString();
  let batch: Array<{ key: string; value: string; headers?: Readonly<Record<string, string>> }> = [];
  let produced = 0;
  const flush = async () => {
    if (batch.length) await producer.send({ topic, acks: -1, messages: batch });
    batch = [];
  };
  try {
    const start = now - Math.ceil(traffic.events / traffic.rate) * 1000 - 86_400_000;
    for (const input of generateTraffic({
      seed: 7,
      startTime: start,
      ratePerSecond: traffic.rate,
      count: traffic.events,
      users: traffic.users,
    }).events()) {
      const event = traffic.withoutIds ? { ...input, event_id: undefined } : input;
      const result = validateEvent(event, { now, receivedAt });
      if (!result.ok) continue;
      batch.push({
        key: result.event.user_id,
        value: JSON.stringify(result.event),
        headers: result.assignedId ? ASSIGNED_EVENT_ID_HEADERS : undefined,
      });
      produced++;
      if (batch.length >= 2000) await flush();
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  return produced;
}
