import { FreshAttempts } from './fresh-attempts';

/** An attempt per call of `attempt`, each settled by hand. */
function attempts() {
  const started: Array<{ resolve: (n: number) => void; reject: (e: Error) => void }> = [];
  const runner = new FreshAttempts(
    () =>
      new Promise<number>((resolve, reject) => {
        started.push({ resolve, reject });
      }),
  );
  return { runner, started };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('FreshAttempts', () => {
  it('gives a call made during an attempt the next attempt, shared with every call made meanwhile', async () => {
    const { runner, started } = attempts();
    const first = runner.run();
    const second = runner.run();
    const third = runner.run();
    expect(started).toHaveLength(1);
    started[0].resolve(1);
    expect(await first).toBe(1);
    await tick();
    expect(started).toHaveLength(2); // the calls made during attempt 1 do not take its result
    started[1].resolve(2);
    expect([await second, await third]).toEqual([2, 2]);
    const fourth = runner.run();
    expect(started).toHaveLength(3);
    started[2].resolve(3);
    expect(await fourth).toBe(3);
  });

  it('a failed attempt fails only its own callers; the queued ones get a new attempt', async () => {
    const { runner, started } = attempts();
    const first = runner.run();
    const second = runner.run();
    started[0].reject(new Error('broker down'));
    await expect(first).rejects.toThrow('broker down');
    await tick();
    started[1].resolve(7);
    expect(await second).toBe(7);
  });
});
