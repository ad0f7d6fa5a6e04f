import { Module } from '@nestjs/common';
import { PlatformModule } from '@clickstream/platform';
import { FraudModule } from './fraud/fraud.module';
import { SERVICE } from './service';

@Module({
  imports: [PlatformModule.forService(SERVICE), FraudModule],
})
export class FraudDetectorModule {}
