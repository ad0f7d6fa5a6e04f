/** `@clickstream/streams/testing`: the topology test driver, apart from the runtime (as Kafka Streams' test-utils). */
export { TopologyTestDriver } from './topology-test-driver';
export type { OutputRecord, TestDriverOptions } from './topology-test-driver';
export { prng } from './prng';
