import { InstanceFencedError, isInstanceFenced } from './errors';

/** kafkajs's error for a fenced static member, as its protocol layer builds it. */
const fencedByBroker = () =>
  Object.assign(new Error('The broker rejected this static consumer since another consumer …'), {
    type: 'FENCED_INSTANCE_ID',
    code: 82,
    retriable: false,
  });

describe('isInstanceFenced', () => {
  it("finds kafkajs's FENCED_INSTANCE_ID on the error or in its causes", () => {
    expect(isInstanceFenced(fencedByBroker())).toBe(true);
    const wrapped = new Error('retries exceeded', {
      cause: new Error('heartbeat failed', { cause: fencedByBroker() }),
    });
    expect(isInstanceFenced(wrapped)).toBe(true);
  });

  it('is false for every other error, and for what is not an error', () => {
    const rebalancing = Object.assign(new Error('rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    expect(isInstanceFenced(rebalancing)).toBe(false);
    expect(isInstanceFenced(new Error('x', { cause: rebalancing }))).toBe(false);
    expect(isInstanceFenced(undefined)).toBe(false);
    expect(isInstanceFenced('FENCED_INSTANCE_ID')).toBe(false);
  });

  it('stops on a cycle of causes', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isInstanceFenced(a)).toBe(false);
  });
});

describe('InstanceFencedError', () => {
  it('has a stable code, is not retriable, names the id and keeps the cause', () => {
    const cause = fencedByBroker();
    const error = new InstanceFencedError('clickstream-sessionizer', 'sessionizer-0', cause);
    expect(error).toMatchObject({ code: 'INSTANCE_FENCED', retriable: false, cause });
    expect(error.name).toBe('InstanceFencedError');
    expect(error.message).toContain('"sessionizer-0"');
    expect(error.message).toContain('clickstream-sessionizer');
  });
});
