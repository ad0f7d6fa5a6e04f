/**
 * Where one normal user's events of a period fall: one or two visits laid out on the period's
 * virtual time line (see traffic-generator.ts), and the warp from virtual to real time.
 */
import { Rng } from './prng';

const TWO_VISIT_P = 0.45;
const UNDER_30_MIN_P = 0.35;
const GAP_MEDIAN_S = 22;
const GAP_SIGMA = 1.0;
const GAP_MAX_S = 300;

/** A gap between two events of a visit (s): log-normal, within gapMin..max(GAP_MAX_S, gapMin). */
export function drawGap(rng: Rng, gapMin: number): number {
  return Math.max(
    gapMin,
    Math.min(Math.max(GAP_MAX_S, gapMin), rng.logNormal(GAP_MEDIAN_S, GAP_SIGMA)),
  );
}

/** A user's layout; the gaps themselves are drawn again from the recorded rng states. */
export interface Layout {
  twoVisits: boolean;
  /** Index of the first event of the second visit. */
  split: number;
  /** Gap between the two visits, in virtual seconds. */
  visitGap: number;
  /** Factor on the intra-visit gaps above gapMin (< 1 when they would not fit). */
  squeeze: number;
  /** Rng state before the first gap. */
  startState: number;
  /** First event past the wrap (the count when none wraps): the time-ordered sequence starts here. */
  wrapIndex: number;
  /** Rng state before the gap after the wrapIndex event. */
  wrapState: number;
  /** Virtual offset of the wrapIndex event from the user's start offset. */
  wrapOffset: number;
}

// Reused between calls: a layout needs the gaps only to find the wrap.
let scratchGaps = new Float64Array(1024);
let scratchStates = new Uint32Array(1024);

/**
 * `count` events as one or two visits on a circle of length `length` (virtual seconds), starting at
 * `offset`: gaps ≥ gapMin everywhere, including across the wrap. Intra-visit gaps are compressed
 * when they would not fit. Returns where the time-ordered sequence starts (the first event past the
 * wrap).
 */
export function layoutUser(
  count: number,
  length: number,
  offset: number,
  gapMin: number,
  seed: number,
): Layout {
  const rng = new Rng(seed);
  let twoVisits = count >= 4 && rng.next() < TWO_VISIT_P;
  const split = 1 + rng.int(Math.max(1, count - 1));
  const visitGap =
    rng.next() < UNDER_30_MIN_P ? rng.range(20 * 60, 29.5 * 60) : rng.range(30.5 * 60, 50 * 60);
  if (twoVisits && visitGap + count * gapMin > length) twoVisits = false;
  const startState = rng.state;
  if (scratchGaps.length < count) {
    scratchGaps = new Float64Array(count * 2);
    scratchStates = new Uint32Array(count * 2);
  }
  let raw = 0;
  let intraGaps = 0;
  for (let gapIndex = 0; gapIndex < count - 1; gapIndex++) {
    scratchStates[gapIndex] = rng.state;
    if (twoVisits && gapIndex === split - 1) {
      scratchGaps[gapIndex] = -1;
      continue;
    }
    const gap = drawGap(rng, gapMin);
    scratchGaps[gapIndex] = gap;
    raw += gap;
    intraGaps++;
  }
  scratchStates[Math.max(0, count - 1)] = rng.state;
  const budget = length - gapMin - (twoVisits ? visitGap : 0);
  const slack = raw - intraGaps * gapMin;
  const squeeze = slack > 0 ? Math.min(1, Math.max(0, (budget - intraGaps * gapMin) / slack)) : 1;
  let position = 0;
  let wrapIndex = count;
  let wrapOffset = 0;
  for (let index = 0; index < count; index++) {
    if (offset + position >= length) {
      wrapIndex = index;
      wrapOffset = position;
      break;
    }
    const gap = scratchGaps[index];
    if (index < count - 1) position += gap < 0 ? visitGap : gapMin + (gap - gapMin) * squeeze;
  }
  const wrapState = wrapIndex < count ? scratchStates[wrapIndex] : startState;
  return { twoVisits, split, visitGap, squeeze, startState, wrapIndex, wrapState, wrapOffset };
}

/** One minute (or the part of it inside the stream) of a period's time line. */
export interface Segment {
  realStart: number;
  realEnd: number;
  vStart: number;
  weight: number;
}

/** Real time (epoch ms, inside the segment) of a virtual position on the period's time line. */
export function virtualToReal(segments: Segment[], virtual: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid].vStart <= virtual) lo = mid;
    else hi = mid - 1;
  }
  const segment = segments[lo];
  const real = Math.floor(segment.realStart + ((virtual - segment.vStart) / segment.weight) * 1000);
  return Math.min(segment.realEnd - 1, Math.max(segment.realStart, real));
}
