import { SerdeError, Serdes } from './serde';

describe('Serdes', () => {
  it('string round-trips UTF-8', () => {
    const s = Serdes.string();
    expect(s.name).toBe('string');
    expect(s.serialize('héllo')).toBe('héllo');
    expect(s.deserialize(Buffer.from('héllo', 'utf8'))).toBe('héllo');
  });

  it('json round-trips values', () => {
    const s = Serdes.json<{ a: number; b: string[] }>();
    const v = { a: 1, b: ['x'] };
    expect(s.deserialize(Buffer.from(String(s.serialize(v))))).toEqual(v);
  });

  it('json: malformed input is a SerdeError', () => {
    const s = Serdes.json();
    let err: unknown;
    try {
      s.deserialize(Buffer.from('{"a":'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SerdeError);
    expect(err).toMatchObject({ code: 'SERDE_FAILED', retriable: false, name: 'SerdeError' });
    expect((err as Error).message).toMatch(/^json: /);
  });

  it('json: a failing validator is a SerdeError, a passing one shapes the value', () => {
    const s = Serdes.json((v: unknown) => {
      if (typeof v !== 'object' || v === null || typeof (v as { ts?: unknown }).ts !== 'number')
        throw new Error('ts must be a number');
      return { ts: (v as { ts: number }).ts, checked: true };
    });
    expect(s.deserialize(Buffer.from('{"ts":5}'))).toEqual({ ts: 5, checked: true });
    expect(() => s.deserialize(Buffer.from('{"ts":"x"}'))).toThrow(
      new SerdeError('json', 'ts must be a number'),
    );
  });
});
