import { TopologyTestDriver } from '../testing/topology-test-driver';
import { failOnError, ProcessingExceptionHandler } from './exception-handlers';
import { Serdes } from './serde';
import { TaskError } from './task';
import { TopologyBuilder } from './topology';

interface Click {
  user: string;
  ts: number;
  boom?: boolean;
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
