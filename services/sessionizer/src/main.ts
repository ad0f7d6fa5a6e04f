import { bootstrapService } from '@clickstream/platform';
import { SessionizerModule } from './app.module';
import { SERVICE, serviceConfigs } from './service';

void bootstrapService(SessionizerModule, {
  name: SERVICE.name,
  defaultPort: SERVICE.defaultPort,
  configs: serviceConfigs(),
  docs: { title: 'Clickstream sessionizer', description: SERVICE.description },
});
