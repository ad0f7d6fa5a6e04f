import { Injectable } from '@nestjs/common';

/** How long the app may take to close after a fatal error before the process exits anyway. */
export const FATAL_CLOSE_TIMEOUT_MS = 30_000;

/**
 * A part of the service that stopped for good (a processor whose group instance id another member
 * took) ends the service: the app closes as on SIGTERM and the process exits with code 1, so that
 * its supervisor (Kubernetes, compose, systemd) sees a failed process and applies its restart
 * policy and backoff, and the fatal line is the last thing logged. A service left running with
 * its processor stopped would look healthy while nothing moves.
 */
@Injectable()
export class FatalShutdown {
  private handler?: (error: Error) => Promise<void>;
  private pending: Error | null = null;
  private triggered = false;

  /** bootstrapService installs how the app closes; a fatal error raised before that waits for it. */
  install(handler: (error: Error) => Promise<void>): void {
    this.handler = handler;
    if (this.pending) void handler(this.pending);
  }

  /** Ends the service once, whoever calls it first. */
  trigger(error: Error): void {
    if (this.triggered) return;
    this.triggered = true;
    if (this.handler) void this.handler(error);
    else this.pending = error;
  }
}
