import { Module } from '@nestjs/common';
import { API_KEYS, ApiKeyGuard } from '@clickstream/platform';
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
export class EventsModule {}
