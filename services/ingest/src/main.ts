import { bootstrapService } from '@clickstream/platform';
import { IngestModule } from './app.module';
import { ingestConfig, IngestConfig } from './ingest.config';
import { SERVICE, serviceConfigs } from './service';

void bootstrapService(IngestModule, {
  name: SERVICE.name,
  defaultPort: SERVICE.defaultPort,
  configs: serviceConfigs(),
  bodyLimit: () => (ingestConfig() as IngestConfig).maxBodyBytes,
  textContentTypes: ['application/x-ndjson', 'application/ndjson', 'text/csv', 'application/csv'],
  docs: { title: 'Clickstream ingest', description: SERVICE.description },
});
