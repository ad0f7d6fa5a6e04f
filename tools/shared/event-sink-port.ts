/** What every event sink offers; apart from the factory so the sinks do not import it back. */
/** Outcome of one send, shaped like ingest's 202/400 body. `index` is the position in the batch. */
export interface SendResult {
  accepted: number;
  rejected: number;
  errors: Array<{ index: number; field: string; message: string }>;
}

export interface EventSink {
  /** Sends a batch; resolves once every accepted event is acknowledged (by ingest, or by Kafka). */
  send(events: unknown[]): Promise<SendResult>;
  close(): Promise<void>;
}
