import { bootstrapService } from '@clickstream/platform';
import { MetricsModule } from './app.module';
import { SERVICE, serviceConfigs } from './service';

void bootstrapService(MetricsModule, {
  name: SERVICE.name,
  defaultPort: SERVICE.defaultPort,
  configs: serviceConfigs(),
  docs: { title: 'Clickstream metrics', description: SERVICE.description },
});
