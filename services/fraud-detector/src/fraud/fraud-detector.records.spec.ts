import { deadLetterRecordSchema, lateEventRecordSchema } from '@clickstream/contracts';
import { TopologyTestDriver } from '@clickstream/streams/testing';
import { fraudTopology } from './fraud-detector.topology';
import { DEFAULT_FRAUD_CONFIG } from './rules/rule-config';
import { clickEvent, MIN, pipeEvents, T0, topics, WALL } from '../../test/fraud-fixtures';

/**
 * What the runtime writes on the late and dead-letter topics for this processor parses with the
 * contracts' schemas (libs/streams cannot import them, so the check lives with a processor).
 */
describe('fraud-detector output records against their contracts', () => {
  const driver = () =>
    new TopologyTestDriver(fraudTopology({ topics, cfg: DEFAULT_FRAUD_CONFIG }), {
      allowedLatenessMs: MIN,
      wallClock: WALL,
      lateTopic: topics.late,
      deadLetterTopic: topics.eventsDlq,
    });

  it('a late event is a LateEventRecord with its lateness', () => {
    const d = driver();
    pipeEvents(d, [clickEvent('u1', T0 + 10 * MIN), clickEvent('u1', T0)]);
    const [late, ...more] = d.readOutput(topics.late);
    expect(more).toEqual([]);
    const record = lateEventRecordSchema.parse(late.value);
    expect(record).toMatchObject({
      reason: 'behind_watermark',
      lateness_ms: 9 * MIN,
      event: { user_id: 'u1' },
    });
  });

  it('a poison aggregate is a DeadLetterRecord naming the reason', () => {
    const d = driver();
    d.pipe(topics.aggregates, '1m:all', {
      window_size: '1m',
      dimension: 'all',
      final: true,
      window_start: 'not a time',
      window_end: new Date(T0).toISOString(),
    });
    const [dead] = d.readOutput(topics.eventsDlq);
    expect(deadLetterRecordSchema.parse(dead.value)).toMatchObject({
      reason: 'invalid_aggregate',
      field: null,
    });
  });
});
