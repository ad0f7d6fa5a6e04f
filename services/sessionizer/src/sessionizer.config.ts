import { ConfigType } from '@nestjs/config';
import { defineConfig, env } from '@clickstream/platform';

/** SPEC §5: a gap of 30 min, or 24 h since the session's first event, starts a new session. */
export const sessionizerConfig = defineConfig(
  'sessionizer',
  {
    SESSION_GAP_MS: env.int(30 * 60_000, 1000, 7 * 24 * 3_600_000),
    SESSION_MAX_DURATION_MS: env.int(24 * 3_600_000, 1000, 30 * 24 * 3_600_000),
  },
  (v) => ({ gapMs: v.SESSION_GAP_MS, maxDurationMs: v.SESSION_MAX_DURATION_MS }),
);

export type SessionizerConfig = ConfigType<typeof sessionizerConfig>;
