import { DatabaseError } from 'pg';
import { StateEncodingError } from '../core/errors';
import { TaskFencedError, WatermarkFloorMovedError } from './errors';
import { classifyFailure, failureSignature } from './failure';

function pgError(code: string, message: string): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.code = code;
  return err;
}

/** What kafkajs throws for a protocol error, wrapped as its retrier wraps it. */
function kafkaError(type: string, retriable: boolean): Error {
  const inner = Object.assign(new Error(`broker said ${type}`), {
    name: 'KafkaJSProtocolError',
    type,
    retriable,
  });
  return Object.assign(new Error('retries exceeded'), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    retriable: false,
    cause: inner,
  });
}

describe('classifyFailure', () => {
  it.each([
    ['22P05', 'unsupported Unicode escape sequence'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22003', 'numeric field overflow'],
    ['22P02', 'invalid input syntax for type json'],
    ['54000', 'index row size exceeds btree maximum'],
    ['23502', 'null value in column violates not-null constraint'],
  ])('a Postgres refusal of the data (%s) is a data failure', (code, message) => {
    expect(classifyFailure(pgError(code, message))).toEqual({ kind: 'data', code, message });
  });

  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57014', 'canceling statement due to statement timeout'],
    ['55P03', 'canceling statement due to lock timeout'],
    ['40001', 'could not serialize access'],
    ['08006', 'connection failure'],
    ['53300', 'too many connections'],
  ])('an unavailable, restarting or timed-out server (%s) is transient', (code, message) => {
    expect(classifyFailure(pgError(code, message)).kind).toBe('transient');
  });

  it('a lost connection without SQLSTATE is transient', () => {
    expect(classifyFailure(new Error('Connection terminated unexpectedly')).kind).toBe('transient');
    expect(
      classifyFailure(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      ).kind,
    ).toBe('transient');
  });

  it('a broker refusing the records is a data failure, found through the retrier wrapper', () => {
    expect(classifyFailure(kafkaError('MESSAGE_TOO_LARGE', false))).toMatchObject({
      kind: 'data',
      code: 'MESSAGE_TOO_LARGE',
    });
  });

  it('other kafkajs errors are transient; a fenced producer is fenced', () => {
    expect(classifyFailure(kafkaError('NOT_LEADER_FOR_PARTITION', true)).kind).toBe('transient');
    expect(classifyFailure(kafkaError('INVALID_PRODUCER_EPOCH', false)).kind).toBe('fenced');
  });

  it('fencing and the watermark floor keep their own kinds; anything else is a bug', () => {
    expect(classifyFailure(new TaskFencedError('t')).kind).toBe('fenced');
    expect(classifyFailure(new WatermarkFloorMovedError('t')).kind).toBe('watermark_floor');
    expect(
      classifyFailure(new TypeError("Cannot read properties of undefined (reading 'x')")),
    ).toMatchObject({ kind: 'bug', code: 'TypeError' });
  });

  it("a value a store's layout cannot encode is a data failure (its record is isolated)", () => {
    const err = new StateEncodingError('totals-store', 'alice', new RangeError('too big'));
    expect(classifyFailure(err)).toEqual({
      kind: 'data',
      code: 'STATE_ENCODING_FAILED',
      message: 'store totals-store: the value of key "alice" cannot be stored: too big',
    });
  });

  it('the signature tells the same failure from a different one', () => {
    const a = classifyFailure(pgError('22003', 'numeric field overflow'));
    expect(failureSignature(a)).toBe(
      failureSignature(classifyFailure(pgError('22003', 'numeric field overflow'))),
    );
    expect(failureSignature(a)).not.toBe(
      failureSignature(classifyFailure(pgError('22P05', 'unsupported Unicode escape sequence'))),
    );
  });
});
