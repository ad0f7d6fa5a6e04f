import { localKafkaOptions, stopBroker } from '../../tools/kafka/local-kafka';
import { dropDatabase } from '../../libs/platform/src/database/migrate';

export default async function globalTeardown(): Promise<void> {
  const log = (line: string) => process.stdout.write(`[integration teardown] ${line}\n`);
  if (process.env.DATABASE_URL?.includes('clickstream_test_')) {
    await dropDatabase(process.env.DATABASE_URL);
    log('test database dropped');
  }
  if (process.env.TEST_OWNS_BROKER === '1') await stopBroker(localKafkaOptions(), log);
}
