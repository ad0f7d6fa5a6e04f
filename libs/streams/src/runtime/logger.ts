/** The runtime's structured logger: pino's (object, message) signature; nestjs-pino's PinoLogger fits. */
export interface StreamsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: StreamsLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
