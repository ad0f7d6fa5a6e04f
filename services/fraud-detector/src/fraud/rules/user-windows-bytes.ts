import {
  ByteFormatError,
  ByteReader,
  ByteWriter,
  readStateHeader,
  writeStateHeader,
} from '@clickstream/streams';
import { USER_RULE_SPECS, USER_RULES, UserWindowState } from './user-rules';

/** A user's open windows, of every rule (one store value per user). Never mutated. */
export type UserRuleWindows = readonly UserWindowState[];

const VERSION = 1;
const writer = new ByteWriter();

/**
 * A user's windows as the store keeps them between the user's events: in memory as these bytes,
 * and in Postgres. Under live cardinality a user's next event comes seconds later, and its windows
 * as objects (each with its accumulator, numbers and lists) cost several times their bytes in the
 * heap, promoted and then collected (BENCHMARKS.md, "The fraud-detector's rule windows, one key
 * per user, at rest as bytes").
 *
 * Layout: the runtime's state header (STATE_BYTES_TAG, then version 1), the window count,
 * then per window: the rule's index in USER_RULES, start (zig-zag varint, ms), end − start
 * (varint), fired (0 or 1) and the rule's accumulator (its spec's codec).
 */
export function encodeUserWindows(windows: UserRuleWindows): Buffer {
  const out = writer.reset();
  writeStateHeader(out, VERSION);
  out.uint(windows.length);
  for (const w of windows) {
    out.byte(USER_RULES.indexOf(w.rule));
    out.int(w.start);
    out.uint(w.end - w.start);
    out.byte(w.fired ? 1 : 0);
    USER_RULE_SPECS[w.rule].codec.write(out, w.acc);
  }
  return out.bytes();
}

export function decodeUserWindows(bytes: Uint8Array): UserWindowState[] {
  const input = new ByteReader(bytes);
  readStateHeader(input, 'set of rule windows', VERSION);
  const count = input.uint();
  const windows: UserWindowState[] = [];
  for (let i = 0; i < count; i++) {
    const index = input.byte();
    const rule = USER_RULES[index];
    if (rule === undefined) throw new ByteFormatError(`rule index ${index} is not a rule`);
    const start = input.int();
    const end = start + input.uint();
    const fired = input.byte() === 1;
    windows.push({ rule, start, end, acc: USER_RULE_SPECS[rule].codec.read(input), fired });
  }
  if (!input.done)
    throw new ByteFormatError('stored rule windows have bytes after their last window');
  return windows;
}

/**
 * What the node puts: the windows, written as bytes by the store's commit snapshot, after which the
 * store keeps only the bytes (KeyValueStore.takeChanges).
 */
export class UserWindows {
  constructor(readonly windows: UserRuleWindows) {}

  storedForm(): Buffer {
    return encodeUserWindows(this.windows);
  }
}

/** A stored user's windows, in whichever form the store holds them. */
export function userWindowsOf(stored: UserWindows | Uint8Array): UserRuleWindows {
  return stored instanceof Uint8Array ? decodeUserWindows(stored) : stored.windows;
}
