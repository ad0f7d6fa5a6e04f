import { TopologyTestDriver } from '../testing/topology-test-driver';
import { PoisonError } from './errors';
import { failOnError, ProcessingExceptionHandler, retryThenDeadLetter } from './exception-handlers';
import { Serdes } from './serde';
import { TaskError } from './task';
import { TopologyBuilder } from './topology';

interface Click {
  user: string;
  ts: number;
  boom?: boolean;
  poison?: boolean;
}

function topology() {
  const builder = new TopologyBuilder('handlers-app');
  builder
    .stream<Click>('clicks', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<Click>(),
      timestamp: (v) => v.ts,
    })
    .peek('explode-on-boom', (value) => {
      if (value.boom) throw new Error('boom requested');
      if (value.poison)
        throw new PoisonError('poison_requested', `poison requested at ${value.ts}`);
    })
    .to('copy', {
      topic: 'copies',
      keySerde: Serdes.string(),
      valueSerde: Serdes.json(),
      key: (r) => r.value.user,
    });
  return builder.build();
}

const click = (ts: number, boom = false): Click => ({ user: 'u1', ts, ...(boom ? { boom } : {}) });

describe('pluggable exception handlers', () => {
  it('by default retries a failing record maxRetries times, then dead-letters it and goes on', () => {
    const driver = new TopologyTestDriver(topology(), { deadLetterTopic: 'dlq', maxRetries: 4 });
    driver.pipe('clicks', 'u1', click(1, true));
    driver.pipe('clicks', 'u1', click(2));
    expect(
      driver.readOutput<{ attempts: number; reason: string }>('dlq').map((r) => r.value),
    ).toEqual([expect.objectContaining({ reason: 'processing_failed', attempts: 5 })]);
    expect(driver.readOutput<Click>('copies').map((r) => r.value.ts)).toEqual([2]);
  });

  it('by default dead-letters a non-retriable error at once, with its reason (no retry of a programmer error)', () => {
    const driver = new TopologyTestDriver(topology(), { deadLetterTopic: 'dlq', maxRetries: 4 });
    driver.pipe('clicks', 'u1', { user: 'u1', ts: 1, poison: true });
    driver.pipe('clicks', 'u1', click(2));
    expect(
      driver.readOutput<{ attempts: number; reason: string }>('dlq').map((r) => r.value),
    ).toEqual([expect.objectContaining({ reason: 'poison_requested', attempts: 1 })]);
    expect(driver.readOutput<Click>('copies').map((r) => r.value.ts)).toEqual([2]);
  });

  it('retryThenDeadLetter retries what may pass next time and stops at maxRetries', () => {
    const handler = retryThenDeadLetter(2);
    const ctx = { processor: 'p', topic: 't', partition: 0, offset: '7' };
    const transient = Object.assign(new Error('lock timeout'), { retriable: true });
    expect([1, 2, 3].map((attempts) => handler.handle({ ...ctx, attempts }, transient))).toEqual([
      'retry',
      'retry',
      'dead_letter',
    ]);
    expect(handler.handle({ ...ctx, attempts: 1 }, new Error('no flag'))).toBe('retry');
    expect(handler.handle({ ...ctx, attempts: 1 }, new PoisonError('bad', 'bad'))).toBe(
      'dead_letter',
    );
    expect(handler.handle({ ...ctx, attempts: 1 }, 'a thrown string')).toBe('retry');
  });

  it('asks a custom processing handler after each attempt, with the record and the count', () => {
    const asked: Array<[string, number]> = [];
    const handler: ProcessingExceptionHandler = {
      handle: ({ offset, attempts }) => {
        asked.push([offset, attempts]);
        return attempts < 2 ? 'retry' : 'dead_letter';
      },
    };
    const driver = new TopologyTestDriver(topology(), {
      deadLetterTopic: 'dlq',
      processingHandler: handler,
    });
    driver.pipe('clicks', 'u1', click(1));
    driver.pipe('clicks', 'u1', click(2, true));
    expect(asked).toEqual([
      ['1', 1],
      ['1', 2],
    ]);
    expect(driver.readOutput<{ attempts: number }>('dlq').map((r) => r.value.attempts)).toEqual([
      2,
    ]);
  });

  it('failOnError stops the task on a failing record instead of skipping it (LogAndFail)', () => {
    const driver = new TopologyTestDriver(topology(), {
      deadLetterTopic: 'dlq',
      processingHandler: failOnError,
    });
    expect(() => driver.pipe('clicks', 'u1', click(1, true))).toThrow(TaskError);
    expect(driver.readOutput('dlq')).toEqual([]);
  });

  it('failOnError as the deserialisation handler stops the task on a value that does not parse', () => {
    const driver = new TopologyTestDriver(topology(), {
      deadLetterTopic: 'dlq',
      deserializationHandler: failOnError,
    });
    expect(() => driver.pipe('clicks', 'u1', '{"user":')).toThrow(/handlers-app|clicks-0@0/);
    expect(driver.readOutput('dlq')).toEqual([]);
  });
});
