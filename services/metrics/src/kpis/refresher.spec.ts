import { Refresher } from './refresher';

describe('Refresher', () => {
  it('loads at most once per ttl and once at a time', async () => {
    let now = 0;
    let loads = 0;
    const r = new Refresher(
      async () => ++loads,
      1000,
      () => undefined,
      () => now,
    );
    expect(await Promise.all([r.get(), r.get(), r.get()])).toEqual([1, 1, 1]);
    now = 999;
    expect(await r.get()).toBe(1);
    now = 1000;
    expect(await r.get()).toBe(2);
  });

  it('keeps the last good value when a load fails, and reports the error', async () => {
    let now = 0;
    let fail = false;
    const errors: unknown[] = [];
    const r = new Refresher(
      async () => {
        if (fail) throw new Error('db down');
        return 'ok';
      },
      10,
      (e) => errors.push(e),
      () => now,
    );
    expect(await r.get()).toBe('ok');
    fail = true;
    now = 20;
    expect(await r.get()).toBe('ok');
    expect(errors).toHaveLength(1);
  });

  it('has no value before the first successful load', async () => {
    const r = new Refresher(
      async () => Promise.reject(new Error('x')),
      10,
      () => undefined,
    );
    expect(await r.get()).toBeUndefined();
  });
});
