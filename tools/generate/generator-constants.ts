/** Constants shared by the generator's modules (tools/generate/traffic-generator.ts). */

export const MINUTE = 60_000;

/** Share of a per-window threshold that normal users may reach. */
export const NORMAL_SHARE = 0.6;

// Stream tags for hash32, so each purpose gets an independent random stream.
export const TAG = {
  place: 1,
  period: 2,
  layout: 3,
  burst: 4,
  profile: 5,
  content: 6,
  session: 7,
  alt: 8,
  spike: 9,
  job: 10,
  disorder: 11,
} as const;
