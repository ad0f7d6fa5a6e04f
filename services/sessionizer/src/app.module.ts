import { Module } from '@nestjs/common';
import { PlatformModule } from '@clickstream/platform';
import { SessionsModule } from './sessions/sessions.module';
import { SERVICE } from './service';

@Module({
  imports: [PlatformModule.forService(SERVICE), SessionsModule],
})
export class SessionizerModule {}
