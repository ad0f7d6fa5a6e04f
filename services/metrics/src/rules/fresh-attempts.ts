/**
 * Runs `attempt` one at a time, and every call resolves with an attempt that STARTED AFTER the call:
 * a call made while one runs waits for it and then shares the next one with every other call made
 * meanwhile. For work whose input may have changed just before the call (a change stored, then
 * published): joining the attempt already under way could miss it.
 */
export class FreshAttempts<T> {
  private running?: Promise<T>;
  private queued?: Promise<T>;

  constructor(private readonly attempt: () => Promise<T>) {}

  run(): Promise<T> {
    if (!this.running) {
      this.running = this.attempt().finally(() => (this.running = undefined));
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.run();
      });
    return this.queued;
  }
}
