import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';

/** The keys a service accepts; an empty list turns authentication off (SPEC §3, §8). */
export const API_KEYS = Symbol('API_KEYS');

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * `Authorization: Bearer <key>` or `x-api-key: <key>`. Keys are compared as SHA-256 digests in
 * constant time, so neither their length nor their prefix leaks through timing.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly digests: Buffer[];

  constructor(@Inject(API_KEYS) keys: string[]) {
    this.digests = keys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.digests.length === 0) return true;
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const presented = presentedKey(req.headers);
    if (presented === undefined) throw new UnauthorizedException('missing API key: send Authorization: Bearer <key> or x-api-key');
    const d = digest(presented);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(d, known) || ok;
    if (!ok) throw new UnauthorizedException('invalid API key');
    return true;
  }
}

function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  const key = headers['x-api-key'];
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}
