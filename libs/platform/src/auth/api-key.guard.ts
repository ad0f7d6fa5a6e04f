import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  NestMiddleware,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';

/** The keys a service accepts; an empty list turns authentication off (SPEC §3, §8). */
export const API_KEYS = Symbol('API_KEYS');

type Headers = Record<string, string | string[] | undefined>;

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * `Authorization: Bearer <key>` or `x-api-key: <key>`. Keys are compared as SHA-256 digests in
 * constant time, so neither their length nor their prefix leaks through timing.
 */
class ApiKeyCheck {
  private readonly digests: Buffer[];

  constructor(keys: string[]) {
    this.digests = keys.map(digest);
  }

  /** Throws UnauthorizedException (401) unless the headers carry a configured key. */
  verify(headers: Headers): void {
    if (this.digests.length === 0) return;
    const presented = presentedKey(headers);
    if (presented === undefined)
      throw new UnauthorizedException(
        'missing API key: send Authorization: Bearer <key> or x-api-key',
      );
    const d = digest(presented);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    if (!ok) throw new UnauthorizedException('invalid API key');
  }
}

/** Route guard: runs after the body was read and parsed. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly check: ApiKeyCheck;

  constructor(@Inject(API_KEYS) keys: string[]) {
    this.check = new ApiKeyCheck(keys);
  }

  canActivate(context: ExecutionContext): boolean {
    this.check.verify(context.switchToHttp().getRequest<{ headers: Headers }>().headers);
    return true;
  }
}

/**
 * The same check as middleware. On Fastify, Nest runs middleware in the `onRequest` hook, before
 * the body is read: an unauthenticated client cannot make the service buffer and parse megabytes.
 */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware {
  private readonly check: ApiKeyCheck;

  constructor(@Inject(API_KEYS) keys: string[]) {
    this.check = new ApiKeyCheck(keys);
  }

  use(req: { headers: Headers }, _res: unknown, next: () => void): void {
    this.check.verify(req.headers);
    next();
  }
}

/** The key a request presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(headers: Headers): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer '))
    return auth.slice(7).trim();
  const key = headers['x-api-key'];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}
