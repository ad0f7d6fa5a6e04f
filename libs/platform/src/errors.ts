import { StreamsError } from '@clickstream/streams';

/**
 * Services' errors: the runtime's coded error (a stable code and a retriable flag, as kafkajs does),
 * so the runtime's failure handling and the services read one shape. Callers retry on the flag,
 * never on the message; programmer and config errors are never retriable.
 */
export class ClickstreamError extends StreamsError {}

export class ConfigValidationError extends ClickstreamError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message, 'CONFIG_INVALID', false);
  }
}
