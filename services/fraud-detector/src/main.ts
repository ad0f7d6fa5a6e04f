import { bootstrapService, serviceBootstrapOptions } from '@clickstream/platform';
import { FraudDetectorModule } from './app.module';
import { SERVICE } from './service';

void bootstrapService(FraudDetectorModule, serviceBootstrapOptions(SERVICE));
