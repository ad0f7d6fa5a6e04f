import type { FastifyReply } from 'fastify';
import { MetricsService } from '@clickstream/platform';
import { IngestConfig } from '../ingest.config';
import { EventProducer, OutgoingMessage } from './event-producer';
import { EventsHttpController } from './events.http.controller';

const config = {
  maxBatchEvents: 10_000,
  maxEventBytes: 65_536,
  maxFutureMs: 300_000,
  retryAfterSeconds: 1,
} as IngestConfig;

const reply = () => {
  const r = { statusCode: 200, status: (code: number) => ((r.statusCode = code), r) };
  return r as unknown as FastifyReply;
};

const event = (n: number) => ({
  event_id: `e-${n}`,
  event_time: Date.now(),
  event_type: 'click',
  user_id: `u-${n}`,
});

/** The controller with a producer whose send() waits until the test lets it finish. */
function controllerWaitingOnKafka() {
  const sent: OutgoingMessage[][] = [];
  let finish: () => void = () => undefined;
  const producer = {
    send: (messages: OutgoingMessage[]) => {
      sent.push(messages);
      return new Promise<void>((resolve) => (finish = resolve));
    },
  } as unknown as EventProducer;
  const kafka = { topics: { events: 'events.v1', eventsDlq: 'events.dlq.v1' } };
  const metrics = new MetricsService({ name: 'ingest-unit' } as never);
  const controller = new EventsHttpController(producer, kafka as never, config, metrics);
  return { controller, sent, finish: () => finish() };
}

describe('EventsHttpController', () => {
  it('holds none of the parsed items while it waits on Kafka, and answers from what it kept', async () => {
    const { controller, sent, finish } = controllerWaitingOnKafka();
    const body: unknown[] = [event(1), event(2), { event_type: 'click' }];
    const answer = controller.ingest({ headers: {} } as never, reply(), body);
    await new Promise(setImmediate);

    // A request can wait on Kafka for seconds (a commit in doubt): its parsed items must not.
    expect(sent).toHaveLength(1);
    expect(body).toEqual([]);
    expect(sent[0].map((m) => m.topic)).toEqual(['events.v1', 'events.v1', 'events.dlq.v1']);
    expect(sent[0].map((m) => m.key)).toEqual(['u-1', 'u-2', null]);

    finish();
    await expect(answer).resolves.toMatchObject({
      accepted: 2,
      rejected: 1,
      errors: [{ index: 2, field: 'event_time' }],
    });
  });
});
