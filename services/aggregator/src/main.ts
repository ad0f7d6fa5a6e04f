import { bootstrapService } from '@clickstream/platform';
import { AggregatorModule } from './app.module';
import { SERVICE, serviceConfigs } from './service';

void bootstrapService(AggregatorModule, {
  name: SERVICE.name,
  defaultPort: SERVICE.defaultPort,
  configs: serviceConfigs(),
  docs: { title: 'Clickstream aggregator', description: SERVICE.description },
});
