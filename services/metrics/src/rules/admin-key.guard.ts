import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { presentedKey } from '@clickstream/platform';
import { AdminKey, metricsConfig, MetricsConfig } from '../metrics.config';

type Headers = Record<string, string | string[] | undefined>;

/** The request as the rules controller sees it after the guard: who is changing a rule. */
export interface AdminRequest {
  headers: Headers;
  adminKeyId?: string;
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/** A key's public id: its configured name, or `sha256:` and the first 12 hex digits of its digest. */
export const adminKeyId = (k: AdminKey): string =>
  k.id || `sha256:${digest(k.key).toString('hex').slice(0, 12)}`;

/**
 * Rule changes need an admin key (METRICS_ADMIN_API_KEYS), whatever METRICS_API_KEYS says: turning
 * the read keys off for a trusted network must not open the fraud thresholds to it. Keys compare as
 * SHA-256 digests in constant time; the request carries the key's id, never the key.
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly keys: Array<{ id: string; digest: Buffer }>;

  constructor(@Inject(metricsConfig.KEY) config: MetricsConfig) {
    this.keys = config.adminKeys.map((k) => ({ id: adminKeyId(k), digest: digest(k.key) }));
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    if (this.keys.length === 0)
      throw new ForbiddenException(
        'rule changes are off: set METRICS_ADMIN_API_KEYS on the metrics service',
      );
    const presented = presentedKey(request.headers);
    if (presented === undefined)
      throw new UnauthorizedException(
        'missing admin API key: send Authorization: Bearer <key> or x-api-key',
      );
    const d = digest(presented);
    let match: string | undefined;
    for (const known of this.keys) if (timingSafeEqual(d, known.digest)) match ??= known.id;
    if (match === undefined)
      throw new UnauthorizedException('not an admin API key (METRICS_ADMIN_API_KEYS)');
    request.adminKeyId = match;
    return true;
  }
}
