import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { API_KEYS, ApiKeyGuard, ApiKeyMiddleware } from '@clickstream/platform';
import { ingestConfig, IngestConfig } from '../ingest.config';
import { EventProducer } from './event-producer';
import { EventsHttpController } from './events.http.controller';

@Module({
  controllers: [EventsHttpController],
  providers: [
    EventProducer,
    ApiKeyGuard,
    { provide: API_KEYS, inject: [ingestConfig.KEY], useFactory: (c: IngestConfig) => c.apiKeys },
  ],
})
export class EventsModule implements NestModule {
  /**
   * API keys are checked in Fastify's onRequest hook (Nest middleware), before the body is read:
   * an unauthenticated client gets 401 without ingest buffering and parsing up to 5 MB for it. The
   * controller's guard checks again after routing, whatever URL form reached it.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ApiKeyMiddleware).forRoutes(EventsHttpController);
  }
}
