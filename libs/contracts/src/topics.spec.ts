import { TOPICS, topicSpecs } from './topics';

describe('TOPICS', () => {
  it('names the six topics of SPEC §10 and the rules table (issue 14)', () => {
    // SPEC §10 names each topic clickstream.<stream>.v1.
    const streams = ['events', 'events.dlq', 'late', 'sessions', 'aggregates', 'alerts', 'rules'];
    expect(Object.values(TOPICS)).toEqual(streams.map((stream) => `clickstream.${stream}.v1`));
  });
});

describe('topicSpecs', () => {
  const config = (spec: { configEntries: { name: string; value: string }[] }) =>
    Object.fromEntries(spec.configEntries.map((entry) => [entry.name, entry.value]));

  it('gives every stream topic the partitions and replication factor asked for', () => {
    const specs = topicSpecs({ partitions: 6, replicationFactor: 3 });
    expect(specs.map((spec) => spec.topic)).toEqual(Object.values(TOPICS));
    for (const spec of specs.filter((s) => s.topic !== TOPICS.rules)) {
      expect(spec).toMatchObject({ numPartitions: 6, replicationFactor: 3 });
      expect(config(spec)).toMatchObject({
        'cleanup.policy': 'delete',
        'min.insync.replicas': '2',
      });
    }
  });

  it('makes the rules topic a compacted table of one partition', () => {
    const rules = topicSpecs({ partitions: 6, replicationFactor: 3 }).find(
      (s) => s.topic === TOPICS.rules,
    )!;
    expect(rules).toMatchObject({ numPartitions: 1, replicationFactor: 3 });
    expect(config(rules)).toMatchObject({
      'cleanup.policy': 'compact',
      'min.insync.replicas': '2',
    });
  });

  it('keeps the DLQ and late events longer than the streams', () => {
    const retention = Object.fromEntries(
      topicSpecs({ partitions: 1, replicationFactor: 1 }).map((spec) => [
        spec.topic,
        Number(config(spec)['retention.ms']),
      ]),
    );
    const week = 7 * 24 * 3600 * 1000;
    expect(retention[TOPICS.events]).toBe(week);
    expect(retention[TOPICS.eventsDlq]).toBeGreaterThan(week);
    expect(retention[TOPICS.late]).toBeGreaterThan(week);
  });

  it('lets a single broker accept acks=all writes', () => {
    for (const spec of topicSpecs({ partitions: 3, replicationFactor: 1 })) {
      expect(config(spec)['min.insync.replicas']).toBe('1');
    }
  });

  it.each([
    [{ partitions: 0, replicationFactor: 1 }, 'partitions must be an integer >= 1 (got 0)'],
    [{ partitions: 1.5, replicationFactor: 1 }, 'partitions must be an integer >= 1 (got 1.5)'],
    [
      { partitions: 1, replicationFactor: Number.NaN },
      'replicationFactor must be an integer >= 1 (got NaN)',
    ],
  ])('rejects %p', (options, message) => {
    expect(() => topicSpecs(options)).toThrow(message);
  });
});
