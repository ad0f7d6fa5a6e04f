/**
 * Errors with a stable code and a retriable flag (as kafkajs does), so callers decide to retry on
 * the flag, never on the message. Programmer and config errors are never retriable.
 */
export class ClickstreamError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigValidationError extends ClickstreamError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message, 'CONFIG_INVALID', false);
  }
}
