import { Module } from '@nestjs/common';
import { PlatformModule } from '@clickstream/platform';
import { EventsModule } from './events/events.module';
import { SERVICE } from './service';

@Module({
  imports: [PlatformModule.forService(SERVICE), EventsModule],
})
export class IngestModule {}
