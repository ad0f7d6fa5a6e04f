import { OperationTimeoutError, withTimeout } from './timeout';

describe('withTimeout', () => {
  afterEach(() => jest.useRealTimers());

  it('gives the value of a promise that settles in time, and its rejection as it is', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, 'read')).resolves.toBe(7);
    const cause = new Error('refused');
    await expect(withTimeout(Promise.reject(cause), 1_000, 'read')).rejects.toBe(cause);
  });

  it('rejects with a retriable OperationTimeoutError naming the operation once the time is up', async () => {
    jest.useFakeTimers();
    const never = new Promise<number>(() => undefined);
    const result = withTimeout(never, 250, 'kafka describeCluster').catch((err: unknown) => err);
    await jest.advanceTimersByTimeAsync(249);
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    const err = await result;
    expect(err).toBeInstanceOf(OperationTimeoutError);
    expect(err).toMatchObject({
      code: 'OPERATION_TIMEOUT',
      retriable: true,
      operation: 'kafka describeCluster',
      timeoutMs: 250,
      message: 'kafka describeCluster timed out after 250 ms',
    });
  });

  it('leaves no timer behind when the promise settles first', async () => {
    jest.useFakeTimers();
    await withTimeout(Promise.resolve('done'), 60_000, 'commit');
    expect(jest.getTimerCount()).toBe(0);
  });
});
