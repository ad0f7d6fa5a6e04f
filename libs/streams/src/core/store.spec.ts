import { ByteWriter } from './byte-codec';
import { StateEncodingError } from './errors';
import { KeyValueStore } from './store';

describe('KeyValueStore', () => {
  it('gets, puts, deletes and counts', () => {
    const s = new KeyValueStore<number>('s');
    expect(s.name).toBe('s');
    expect(s.get('a')).toBeUndefined();
    s.put('a', 1);
    s.put('b', 2);
    s.put('a', 3);
    expect(s.get('a')).toBe(3);
    expect(s.has('b')).toBe(true);
    expect(s.size).toBe(2);
    s.delete('b');
    expect(s.has('b')).toBe(false);
    expect([...s.entries()]).toEqual([['a', 3]]);
  });

  it('takeChanges returns the last value of each changed key, undefined for deletions, then resets', () => {
    const s = new KeyValueStore<number>('s');
    s.put('a', 1);
    s.put('a', 2);
    s.put('b', 1);
    s.delete('b');
    s.put('c', 5);
    expect(s.takeChanges()).toEqual(
      new Map<string, number | undefined>([
        ['a', 2],
        ['b', undefined],
        ['c', 5],
      ]),
    );
    expect(s.takeChanges().size).toBe(0);
  });

  it('deleting a missing key is not a change', () => {
    const s = new KeyValueStore<number>('s');
    s.delete('nope');
    expect(s.takeChanges().size).toBe(0);
  });

  it('restore loads committed state without marking it dirty', () => {
    const s = new KeyValueStore<number>('s');
    s.restore('a', 1);
    expect(s.get('a')).toBe(1);
    expect(s.takeChanges().size).toBe(0);
    s.delete('a');
    expect(s.takeChanges()).toEqual(new Map([['a', undefined]]));
  });

  it('a value whose stored form is bytes rests as those bytes once taken; other values stay as they are', () => {
    class Counter {
      constructor(
        public n: number,
        private readonly asBytes: boolean,
      ) {}
      storedForm(): unknown {
        return this.asBytes ? Buffer.from([0, this.n]) : { n: this.n };
      }
    }
    const s = new KeyValueStore<Counter | Uint8Array | { n: number }>('s');
    const bytes = new Counter(1, true);
    const json = new Counter(2, false);
    s.put('bytes', bytes);
    s.put('json', json);
    bytes.n = 7; // changed in place after the put: the taken form is as of takeChanges
    const changes = s.takeChanges();
    expect(changes.get('bytes')).toEqual(Buffer.from([0, 7]));
    expect(s.get('bytes')).toBe(changes.get('bytes'));
    expect(changes.get('json')).toEqual({ n: 2 });
    expect(s.get('json')).toBe(json);
    // At rest is not a change: nothing more to write until the node puts the key again.
    expect(s.takeChanges().size).toBe(0);
  });

  it('a value whose stored form throws raises StateEncodingError naming the store, the key and why', () => {
    const s = new KeyValueStore<{ storedForm(): Uint8Array }>('totals-store');
    const encoded = (n: number) => ({
      storedForm: () => {
        const out = new ByteWriter();
        out.uint(n);
        return out.bytes();
      },
    });
    s.put('alice', encoded(2 ** 60));
    let thrown: unknown;
    try {
      s.takeChanges();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StateEncodingError);
    expect(thrown).toMatchObject({
      code: 'STATE_ENCODING_FAILED',
      retriable: false,
      store: 'totals-store',
      cause: expect.any(RangeError),
    });
    expect((thrown as Error).message).toMatch(
      /^store totals-store: the value of key "alice" cannot be stored: ByteWriter\.uint: 1152921504606847000 is not a safe/,
    );
    // A long key is cut in the message (it is logged and dead-lettered).
    const long = new KeyValueStore<{ storedForm(): Uint8Array }>('totals-store');
    long.put('k'.repeat(10_000), encoded(-1));
    expect(() => long.takeChanges()).toThrow(/key "k{200}…" cannot be stored/);
  });
});
