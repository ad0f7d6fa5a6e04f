import { chunksByBytes, OutgoingMessage } from './event-producer';

const msg = (topic: string, bytes: number): OutgoingMessage => ({ topic, message: { key: 'k', value: 'x'.repeat(bytes) } });

describe('chunksByBytes', () => {
  it('keeps every produce request under the byte bound, in order, losing nothing', () => {
    const batch = [{ messages: [msg('a', 400), msg('b', 400), msg('a', 400)] }, { messages: [msg('a', 100), msg('b', 900)] }];
    const chunks = [...chunksByBytes(batch, 1000)];
    const sizes = chunks.map((c) => [...c.values()].flat().reduce((n, m) => n + String(m.value).length, 0));
    expect(sizes).toEqual([800, 500, 900]);
    expect(chunks.map((c) => Object.fromEntries([...c].map(([t, ms]) => [t, ms.length])))).toEqual([{ a: 1, b: 1 }, { a: 2 }, { b: 1 }]);
  });

  it('puts a message larger than the bound in a request of its own', () => {
    const chunks = [...chunksByBytes([{ messages: [msg('a', 10), msg('a', 5000), msg('a', 10)] }], 1000)];
    expect(chunks.map((c) => c.get('a')!.length)).toEqual([1, 1, 1]);
  });
});
