import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AuthenticatedRequest } from './roles.decorator';

/**
 * Rate limit per API key (KIELTO_RATE_LIMIT_PER_MINUTE); unauthenticated routes are limited per client address.
 * Runs after ApiKeyGuard, so the actor is known. Over the limit: 429 problem with Retry-After.
 */
@Injectable()
export class KeyThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const actor = (req as unknown as AuthenticatedRequest).actor;
    return Promise.resolve(actor ? `key:${actor.keyId}` : `ip:${String(req.ip)}`);
  }
}
