import {
  BinaryCodec,
  BinaryRunCodec,
  ByteFormatError,
  ByteReader,
  ByteWriter,
  readStateHeader,
  writeStateHeader,
} from '../byte-codec';
import type { Session, TailEntry } from './session-aggregate-state';

/**
 * The session aggregate's stored form as bytes (version 3), when the node is given a
 * SessionBytesCodec. Under live cardinality almost every event touches another key, and each commit
 * rewrote the touched key's whole state (its tail within the allowed lateness) as an object and then
 * JSON; this writes the same content straight from the in-memory form.
 *
 * Layout: STATE_BYTES_TAG (0x00, which JSON text never starts with), version 3, a flags byte (bit 0: every time is an
 * integer below 2^50 in magnitude, written as zig-zag varints, the tail's as differences, which
 * then stay below 2^51; else all as 64-bit floats), the
 * open sessions, the base (0 or 1 and a session), the tail's count, its times, then its values as
 * one run (the value codec may write repeats once).
 */
export interface SessionBytesCodec<V, A> {
  aggregate: BinaryCodec<A>;
  tail: BinaryRunCodec<V>;
}

const VERSION = 3;
const INTEGRAL_TIMES = 1;

/** What a stored state's bytes hold, for the node to re-read its tail as the JSON path does. */
export interface DecodedStateBytes<V, A> {
  sessions: Array<Session<A>>;
  base: Session<A> | null;
  times: number[];
  values: V[];
}

interface StateParts<V, A> {
  sessions: Array<Session<A>>;
  base: Session<A> | null;
  tail: Array<TailEntry<V>>;
  head: number;
}

// One writer for every state a commit takes (the runtime is single-threaded); each value is copied out.
const writer = new ByteWriter();

export function encodeStateBytes<V, A>(
  state: StateParts<V, A>,
  codec: SessionBytesCodec<V, A>,
): Buffer {
  const { sessions, base, tail, head } = state;
  const out = writer.reset();
  writeStateHeader(out, VERSION);
  const integral = allIntegral(state);
  out.byte(integral ? INTEGRAL_TIMES : 0);
  out.uint(sessions.length);
  for (let index = 0; index < sessions.length; index++)
    writeSession(out, sessions[index], codec.aggregate, integral);
  out.byte(base ? 1 : 0);
  if (base) writeSession(out, base, codec.aggregate, integral);
  const count = tail.length - head;
  out.uint(count);
  const values = new Array<V>(count);
  let previous = 0;
  for (let index = 0; index < count; index++) {
    const entry = tail[head + index];
    if (integral) out.int(entry.time - previous);
    else out.f64(entry.time);
    previous = entry.time;
    values[index] = entry.value;
  }
  codec.tail.write(out, values);
  return out.bytes();
}

export function decodeStateBytes<V, A>(
  bytes: Uint8Array,
  codec: SessionBytesCodec<V, A>,
): DecodedStateBytes<V, A> {
  const input = new ByteReader(bytes);
  readStateHeader(input, 'session state', VERSION);
  const integral = (input.byte() & INTEGRAL_TIMES) !== 0;
  const time = integral ? () => input.int() : () => input.f64();
  const sessions = new Array<Session<A>>(input.uint());
  for (let index = 0; index < sessions.length; index++)
    sessions[index] = readSession(input, codec.aggregate, time);
  const base = input.byte() === 1 ? readSession(input, codec.aggregate, time) : null;
  const times = new Array<number>(input.uint());
  let previous = 0;
  for (let index = 0; index < times.length; index++)
    previous = times[index] = integral ? previous + time() : time();
  const values = codec.tail.read(input, times.length);
  if (!input.done) throw new ByteFormatError('stored session state has bytes after its end');
  return { sessions, base, times, values };
}

/** Epoch ms are about 2^41; a difference of two times below 2^50 is below 2^51, as int() takes. */
const TIME_LIMIT = 2 ** 50;
const integralTime = (time: number) =>
  Math.floor(time) === time && time < TIME_LIMIT && time > -TIME_LIMIT;

function allIntegral<V, A>({ sessions, base, tail, head }: StateParts<V, A>): boolean {
  for (let index = 0; index < sessions.length; index++)
    if (!integralTime(sessions[index].start) || !integralTime(sessions[index].last)) return false;
  if (base && (!integralTime(base.start) || !integralTime(base.last))) return false;
  for (let index = head; index < tail.length; index++)
    if (!integralTime(tail[index].time)) return false;
  return true;
}

function writeSession<A>(
  out: ByteWriter,
  session: Session<A>,
  aggregate: BinaryCodec<A>,
  integral: boolean,
): void {
  if (integral) {
    out.int(session.start);
    out.int(session.last);
  } else {
    out.f64(session.start);
    out.f64(session.last);
  }
  out.uint(session.count);
  aggregate.write(out, session.agg);
  out.byte(session.alt === undefined ? 0 : 1);
  if (session.alt !== undefined) aggregate.write(out, session.alt);
}

function readSession<A>(
  input: ByteReader,
  aggregate: BinaryCodec<A>,
  time: () => number,
): Session<A> {
  const start = time();
  const last = time();
  const count = input.uint();
  const agg = aggregate.read(input);
  if (input.byte() === 0) return { start, last, count, agg };
  return { start, last, count, agg, alt: aggregate.read(input) };
}
