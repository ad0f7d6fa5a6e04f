import { Module } from '@nestjs/common';
import { API_KEYS, ApiKeyGuard } from '@clickstream/platform';
import { ingestConfig, IngestConfig } from '../ingest.config';
import { EventProducer } from './event-producer';
import { EventsHttpController } from './events.http.controller';
import { TopicsBootstrap } from './topics.bootstrap';

@Module({
  controllers: [EventsHttpController],
  providers: [
    EventProducer,
    TopicsBootstrap,
    ApiKeyGuard,
    { provide: API_KEYS, inject: [ingestConfig.KEY], useFactory: (c: IngestConfig) => c.apiKeys },
  ],
})
export class EventsModule {}
