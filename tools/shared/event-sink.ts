/**
 * Where the tools (replay CLI, load generator) send events: the ingest HTTP API, or straight into
 * Kafka the way ingest would (validated, normalised, invalid ones dead-lettered).
 *
 *   const sink = await createEventSink({ to: 'http', url: 'http://127.0.0.1:3001', apiKey });
 *   const limiter = new RateLimiter(1000);
 *   await limiter.take(batch.length);
 *   const { accepted, rejected, errors } = await sink.send(batch);
 *   await sink.close();
 */
import { HttpEventSink, HttpSinkOptions } from './http-event-sink';
import { KafkaEventSink, KafkaSinkOptions } from './kafka-event-sink';
import type { EventSink } from './event-sink-port';

export { RateLimiter } from './rate-limiter';
export type { RateLimiterOptions } from './rate-limiter';
export { EventSinkError, DEFAULT_INGEST_URL } from './http-event-sink';
export type { HttpSinkOptions, RetryPolicy } from './http-event-sink';
export type { KafkaSinkOptions } from './kafka-event-sink';
export { DEFAULT_KAFKA_BROKERS_LIST } from './kafka-event-sink';

export type { EventSink, SendResult } from './event-sink-port';

export interface CreateEventSinkOptions {
  to: 'http' | 'kafka';
  /** HTTP: base URL of ingest. Default http://127.0.0.1:3001. */
  url?: string;
  /** HTTP: API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Kafka: comma-separated host:port list. Default $KAFKA_BROKERS or 127.0.0.1:19092. */
  brokers?: string;
  /** Kafka: topic of valid events. Default clickstream.events.v1. */
  topic?: string;
  /** HTTP: retry bounds, timeouts, batch splitting. */
  http?: Partial<Omit<HttpSinkOptions, 'url' | 'apiKey'>>;
  /** Kafka: DLQ source name, timeouts, topic creation. */
  kafka?: Partial<Omit<KafkaSinkOptions, 'brokers' | 'topic'>>;
}

/** An HTTP sink (no connection made yet) or a connected Kafka sink. */
export async function createEventSink(opts: CreateEventSinkOptions): Promise<EventSink> {
  switch (opts.to) {
    case 'http':
      return new HttpEventSink({ ...opts.http, url: opts.url, apiKey: opts.apiKey });
    case 'kafka':
      return KafkaEventSink.connect({ ...opts.kafka, brokers: opts.brokers, topic: opts.topic });
    default:
      throw new RangeError(
        `unknown sink ${JSON.stringify((opts as { to: unknown }).to)}: use http or kafka`,
      );
  }
}
