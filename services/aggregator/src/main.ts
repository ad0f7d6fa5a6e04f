import { bootstrapService, serviceBootstrapOptions } from '@clickstream/platform';
import { AggregatorModule } from './app.module';
import { SERVICE } from './service';

void bootstrapService(AggregatorModule, serviceBootstrapOptions(SERVICE));
