import { OutboxMessage } from '../core/task';
import { chunkBySize } from './outbox-publisher';

const message = (seq: number, bytes: number): OutboxMessage => ({
  seq,
  topic: 'out',
  key: 'k',
  value: 'x'.repeat(bytes),
});

describe('chunkBySize', () => {
  it('keeps order and puts consecutive messages together up to the budget', () => {
    const messages = [message(0, 300), message(1, 300), message(2, 300), message(3, 10)];
    const chunks = chunkBySize(messages, 1000);
    expect(chunks.map((c) => c.map((m) => m.seq))).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('sends a message larger than the budget alone', () => {
    const chunks = chunkBySize([message(0, 10), message(1, 5000), message(2, 10)], 1000);
    expect(chunks.map((c) => c.map((m) => m.seq))).toEqual([[0], [1], [2]]);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const wide = { seq: 0, topic: 'out', key: null, value: '€'.repeat(300) };
    expect(chunkBySize([wide, { ...wide, seq: 1 }], 1500)).toHaveLength(2);
  });
});
