import {
  BadRequestException,
  Body,
  Controller,
  HttpException,
  HttpStatus,
  Inject,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  CSV_FORMATS,
  CsvFormat,
  CsvHeaderError,
  CsvSyntaxError,
  readCsvEvents,
  TopicNames,
} from '@clickstream/contracts';
import { ApiKeyGuard, KafkaClient, MetricsService } from '@clickstream/platform';
import { ingestConfig, IngestConfig } from '../ingest.config';
import { intakeRecords, parseNdjson, UnparsedItem } from './event-intake';
import {
  BacklogFullError,
  EventProducer,
  KafkaOutcomeUnknownError,
  KafkaUnavailableError,
} from './event-producer';

export interface IngestResponse {
  accepted: number;
  rejected: number;
  errors: Array<{ index: number; field: string; message: string }>;
  message?: string;
}

/** SPEC §3: POST /v1/events (object, array or NDJSON) and POST /v1/events/csv. */
@ApiTags('events')
@ApiSecurity('api-key')
@ApiResponse({
  status: 401,
  description: 'API keys are configured and none (or a wrong one) was sent',
})
@ApiResponse({ status: 413, description: 'Body or batch larger than the configured limit' })
@ApiResponse({
  status: 400,
  description:
    'Every event was invalid (each went to the DLQ), or the CSV is malformed (the line is named)',
})
@ApiResponse({ status: 415, description: 'Unsupported Content-Type' })
@ApiResponse({
  status: 503,
  description: 'Kafka unavailable or backlog full; nothing was accepted; see Retry-After',
})
@ApiResponse({
  status: 504,
  description:
    'Kafka did not confirm the commit within INGEST_COMMIT_DEADLINE_MS: all or none was accepted; resend with the same event_ids',
})
@Controller('v1/events')
@UseGuards(ApiKeyGuard)
export class EventsHttpController {
  private readonly events;
  private readonly duration;
  private readonly topics: TopicNames;

  constructor(
    private readonly producer: EventProducer,
    kafka: KafkaClient,
    @Inject(ingestConfig.KEY) private readonly config: IngestConfig,
    metrics: MetricsService,
  ) {
    this.topics = kafka.topics;
    this.events = metrics.counter({
      name: 'ingest_events_total',
      help: 'Events received, by outcome.',
      labelNames: ['outcome'],
    });
    this.duration = metrics.histogram({
      name: 'ingest_request_duration_seconds',
      help: 'Ingest request duration, from body parsed to answer.',
      labelNames: ['route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
  }

  @Post()
  @ApiOperation({
    summary: 'Ingest events: one JSON object, a JSON array, or NDJSON (application/x-ndjson)',
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({
    schema: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] },
  })
  @ApiResponse({ status: 202, description: 'Every accepted event is acknowledged by Kafka' })
  @ApiResponse({ status: 400, description: 'Every event was invalid (each went to the DLQ)' })
  async ingest(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<IngestResponse> {
    const started = process.hrtime.bigint();
    const items = isNdjson(req)
      ? parseNdjson(String(body ?? ''), this.config.maxEventBytes)
      : Array.isArray(body)
        ? body
        : [body];
    return this.handle('events', items, reply, started);
  }

  @Post('csv')
  @ApiOperation({ summary: 'Ingest a CSV file: REES46, Retailrocket or Timestamp,User_ID,Clicks' })
  @ApiConsumes('text/csv')
  @ApiQuery({ name: 'format', enum: [...CSV_FORMATS, 'auto'], required: false })
  async ingestCsv(
    @Query('format') format: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<IngestResponse> {
    const started = process.hrtime.bigint();
    const chosen = format ?? 'auto';
    if (chosen !== 'auto' && !(CSV_FORMATS as readonly string[]).includes(chosen)) {
      throw new BadRequestException(
        `format must be one of ${[...CSV_FORMATS, 'auto'].join(', ')} (got "${chosen}")`,
      );
    }
    const items: unknown[] = [];
    // A row longer than an event may be cannot give a valid one: the parser stops there (400).
    const options = { maxRecordBytes: this.config.maxEventBytes };
    try {
      for await (const row of readCsvEvents(
        String(body ?? ''),
        chosen as CsvFormat | 'auto',
        options,
      )) {
        items.push('input' in row ? row.input : new UnparsedItem(`row ${row.row}`, row.issue));
        if (items.length > this.config.maxBatchEvents) break;
      }
    } catch (err) {
      // Broken CSV is the client's error, named by its line; nothing of the request is accepted.
      if (err instanceof CsvHeaderError || err instanceof CsvSyntaxError)
        throw new BadRequestException(err.message);
      throw err;
    }
    return this.handle('events_csv', items, reply, started);
  }

  private async handle(
    route: string,
    items: unknown[],
    reply: FastifyReply,
    started: bigint,
  ): Promise<IngestResponse> {
    let status = 202;
    try {
      const result = await this.process(items, reply);
      status = reply.statusCode;
      return result;
    } catch (err) {
      status = err instanceof HttpException ? err.getStatus() : 500;
      throw err;
    } finally {
      this.duration.observe(
        { route, status: String(status) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  }

  private async process(items: unknown[], reply: FastifyReply): Promise<IngestResponse> {
    if (items.length === 0) throw new BadRequestException('the body holds no events');
    if (items.length > this.config.maxBatchEvents) {
      throw new HttpException(
        `a request may hold at most ${this.config.maxBatchEvents} events (INGEST_MAX_BATCH_EVENTS)`,
        HttpStatus.PAYLOAD_TOO_LARGE,
      );
    }
    const total = items.length;
    const { maxFutureMs, maxEventBytes } = this.config;
    const { messages, accepted, rejected } = intakeRecords(
      items,
      { now: Date.now(), maxFutureMs, maxEventBytes, source: 'ingest' },
      this.topics,
    );
    // A request waits on Kafka for a transaction or two (a second under load), and up to
    // INGEST_COMMIT_DEADLINE_MS while a commit is in doubt. From here on it holds only the records to
    // publish and its answer, so the backlog bound (INGEST_MAX_BACKLOG_EVENTS) bounds memory by the
    // events' JSON, not by their parsed items and validated events as well.
    items.length = 0;
    try {
      await this.producer.send(messages);
    } catch (err) {
      if (err instanceof KafkaOutcomeUnknownError)
        return this.refuse(
          reply,
          HttpStatus.GATEWAY_TIMEOUT,
          'unknown',
          total,
          `${err.message}; the events were committed all or none: send them again with the same event_id (the idempotency key), which is counted once`,
        );
      if (!(err instanceof KafkaUnavailableError || err instanceof BacklogFullError)) throw err;
      return this.refuse(
        reply,
        HttpStatus.SERVICE_UNAVAILABLE,
        'unavailable',
        total,
        `${err.message}; nothing was accepted, retry later`,
      );
    }
    this.events.inc({ outcome: 'accepted' }, accepted);
    this.events.inc({ outcome: 'rejected' }, rejected.length);
    if (accepted === 0) reply.status(HttpStatus.BAD_REQUEST);
    else reply.status(HttpStatus.ACCEPTED);
    return { accepted, rejected: rejected.length, errors: rejected };
  }

  /** A request Kafka did not (or not surely) take: 503 or 504, with Retry-After and no errors. */
  private refuse(
    reply: FastifyReply,
    status: HttpStatus,
    outcome: 'unavailable' | 'unknown',
    events: number,
    message: string,
  ): IngestResponse {
    this.events.inc({ outcome }, events);
    reply.header('Retry-After', String(this.config.retryAfterSeconds));
    reply.status(status);
    return { accepted: 0, rejected: 0, errors: [], message };
  }
}

function isNdjson(req: FastifyRequest): boolean {
  const type = req.headers['content-type'] ?? '';
  return type.startsWith('application/x-ndjson') || type.startsWith('application/ndjson');
}
