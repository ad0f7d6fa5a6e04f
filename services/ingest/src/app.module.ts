import { Module } from '@nestjs/common';
import { PlatformModule } from '@clickstream/platform';
import { SERVICE } from './service';

@Module({
  imports: [PlatformModule.forService(SERVICE)],
})
export class IngestModule {}
