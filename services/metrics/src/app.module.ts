import { Module } from '@nestjs/common';
import { PlatformModule } from '@clickstream/platform';
import { QueryModule } from './query/query.module';
import { SERVICE } from './service';

@Module({
  imports: [PlatformModule.forService(SERVICE), QueryModule],
})
export class MetricsModule {}
