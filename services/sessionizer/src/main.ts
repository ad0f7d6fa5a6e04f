import { bootstrapService, serviceBootstrapOptions } from '@clickstream/platform';
import { SessionizerModule } from './app.module';
import { SERVICE } from './service';

void bootstrapService(SessionizerModule, serviceBootstrapOptions(SERVICE));
