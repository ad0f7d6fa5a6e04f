import { Module } from '@nestjs/common';
import { PlatformModule } from '@clickstream/platform';
import { SERVICE } from './service';
import { AggregatesModule } from './windows/aggregates.module';

@Module({
  imports: [PlatformModule.forService(SERVICE), AggregatesModule],
})
export class AggregatorModule {}
