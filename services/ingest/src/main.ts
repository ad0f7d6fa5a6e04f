import { bootstrapService } from '@clickstream/platform';
import { IngestModule } from './app.module';
import { SERVICE, serviceConfigs } from './service';

void bootstrapService(IngestModule, {
  name: SERVICE.name,
  defaultPort: SERVICE.defaultPort,
  configs: serviceConfigs(),
  docs: { title: 'Clickstream ingest', description: SERVICE.description },
});
