/**
 * A compact byte layout for state a node rewrites on every commit, as Kafka Streams lays out its
 * session and window stores' bytes by hand: unsigned and zig-zag varints (protobuf's), 64-bit
 * floats and length-prefixed UTF-8. A stored state is written straight from the node's in-memory
 * form, with no intermediate object and no JSON text (BENCHMARKS.md, 2026-12-06: the sessionizer's
 * state as JSON was nearly half its CPU per event under live cardinality; as bytes, a quarter less).
 */

import { STATE_BYTES_TAG } from './store';

/** Writes a value of T; `read` must give back an equal value. */
export interface BinaryCodec<T> {
  write(out: ByteWriter, value: T): void;
  read(input: ByteReader): T;
}

/** Writes a run of values at once (so repeats can be written once); `read` gets their count. */
export interface BinaryRunCodec<T> {
  write(out: ByteWriter, values: readonly T[]): void;
  read(input: ByteReader, count: number): T[];
}

/** A stored value this reader cannot read: truncated or not of this layout (never retried). */
export class ByteFormatError extends Error {
  readonly code = 'STATE_BYTES_UNREADABLE';
  readonly retriable = false;
}

/** A growing buffer; one writer is reused for many values (`reset`, then `bytes` copies out). */
export class ByteWriter {
  private buf = Buffer.allocUnsafe(4096);
  private at = 0;

  reset(): this {
    this.at = 0;
    return this;
  }

  get length(): number {
    return this.at;
  }

  /**
   * A copy of what was written since the last reset, in memory of its own: a state may rest as
   * these bytes for minutes (KeyValueStore.takeChanges), and a slice of Node's shared 8 KB pool
   * would keep the whole pool alive while any of its slices lives.
   */
  bytes(): Buffer {
    const copy = Buffer.allocUnsafeSlow(this.at);
    this.buf.copy(copy, 0, 0, this.at);
    return copy;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buf[this.at++] = value;
  }

  /** An integer in [0, 2^53): 7 bits per byte, low groups first. */
  uint(value: number): void {
    if (!(Number.isSafeInteger(value) && value >= 0))
      throw new RangeError(`ByteWriter.uint: ${value} is not a safe non-negative integer`);
    this.varint(value);
  }

  /** An integer of either sign below 2^52 in magnitude (zig-zag: small magnitudes stay short). */
  int(value: number): void {
    if (!isZigzagInt(value))
      throw new RangeError(`ByteWriter.int: ${value} is not an integer below 2^52 in magnitude`);
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** The varint of a value uint() or int() has checked. */
  private varint(value: number): void {
    this.ensure(8);
    const buf = this.buf;
    let at = this.at;
    // Above 2^31 the bit operators would truncate: divide instead.
    while (value >= 0x80000000) {
      buf[at++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    while (value >= 0x80) {
      buf[at++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[at++] = value;
    this.at = at;
  }

  /**
   * Any number, exactly: an integer below 2^52 in magnitude as a zig-zag varint after tag 0, and
   * anything else (a fraction, a larger integer, -0, NaN, an infinity) as a float after tag 1.
   * For sums that are usually small integers but have no bound (revenue in cents). Not
   * Number.isSafeInteger: int() needs a bit for the sign.
   */
  number(value: number): void {
    if (isZigzagInt(value) && !Object.is(value, -0)) {
      this.byte(0);
      this.int(value);
    } else {
      this.byte(1);
      this.f64(value);
    }
  }

  f64(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.at);
    this.at += 8;
  }

  /** UTF-8 with its byte length first. */
  string(value: string): void {
    this.ensure(5 + value.length * 3);
    // Short ASCII-only strings are most ids: one length byte, written in place.
    const start = this.at;
    const written = this.buf.write(value, start + 1, 'utf8');
    if (written < 0x80) {
      this.buf[start] = written;
      this.at = start + 1 + written;
      return;
    }
    const copy = Buffer.from(this.buf.subarray(start + 1, start + 1 + written));
    this.uint(written);
    this.ensure(written);
    copy.copy(this.buf, this.at);
    this.at += written;
  }

  private ensure(extra: number): void {
    if (this.at + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + extra));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}

/** What ByteWriter.int takes: an integer whose zig-zag form is still a safe integer. */
const TWO_52 = 2 ** 52;
const isZigzagInt = (value: number): boolean =>
  Math.floor(value) === value && value < TWO_52 && value > -TWO_52;

/** Reads what a ByteWriter wrote, in the same order; throws ByteFormatError past the end. */
export class ByteReader {
  private at: number;
  private readonly buf: Buffer;

  constructor(bytes: Uint8Array, offset = 0) {
    this.buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = offset;
  }

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  byte(): number {
    this.need(1);
    return this.buf[this.at++];
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 56; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new ByteFormatError(`varint longer than 8 bytes at ${this.at}`);
  }

  int(): number {
    const zigzag = this.uint();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  number(): number {
    const tag = this.byte();
    if (tag === 0) return this.int();
    if (tag === 1) return this.f64();
    throw new ByteFormatError(`number tag ${tag} at ${this.at - 1} is neither 0 nor 1`);
  }

  f64(): number {
    this.need(8);
    const value = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  string(): string {
    const length = this.uint();
    this.need(length);
    const value = this.buf.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }

  private need(count: number): void {
    if (this.at + count > this.buf.length)
      throw new ByteFormatError(
        `stored bytes end at ${this.buf.length}, ${count} more needed at ${this.at}`,
      );
  }
}

/**
 * The start of a node's stored-state layout: STATE_BYTES_TAG, by which the runtime tells a node's
 * bytes from JSON, then the layout's version.
 */
export function writeStateHeader(out: ByteWriter, version: number): void {
  out.byte(STATE_BYTES_TAG);
  out.byte(version);
}

/** Checks what writeStateHeader wrote; `what` names the layout in the error ("session state"). */
export function readStateHeader(input: ByteReader, what: string, version: number): void {
  if (input.byte() !== STATE_BYTES_TAG) throw new ByteFormatError(`not a stored ${what}`);
  const stored = input.byte();
  if (stored !== version)
    throw new ByteFormatError(
      `stored ${what} of layout version ${stored}; this build reads ${version}`,
    );
}
