import { bootstrapService } from '@clickstream/platform';
import { FraudDetectorModule } from './app.module';
import { SERVICE, serviceConfigs } from './service';

void bootstrapService(FraudDetectorModule, {
  name: SERVICE.name,
  defaultPort: SERVICE.defaultPort,
  configs: serviceConfigs(),
  docs: { title: 'Clickstream fraud-detector', description: SERVICE.description },
});
