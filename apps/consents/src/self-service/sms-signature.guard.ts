import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProblemException } from '@kielto/platform';
import { ConsentsEnv } from '../consents.env';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * The SMS gateway proves itself with `X-Kielto-Signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed with
 * KIELTO_SMS_WEBHOOK_SECRET instead of an API key. Runs before the body is validated, so an unsigned request
 * learns nothing about what a valid body looks like.
 */
@Injectable()
export class SmsSignatureGuard implements CanActivate {
  private readonly secret: Buffer;

  constructor(env: ConsentsEnv) {
    this.secret = Buffer.from(env.KIELTO_SMS_WEBHOOK_SECRET, 'utf8');
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; rawBody?: Buffer }>();
    const header = request.headers['x-kielto-signature'];
    const match = typeof header === 'string' ? SIGNATURE.exec(header.trim()) : null;
    const expected = createHmac('sha256', this.secret)
      .update(request.rawBody ?? Buffer.alloc(0))
      .digest();
    if (!match || !timingSafeEqual(Buffer.from(match[1], 'hex'), expected)) {
      throw new ProblemException(
        401,
        'invalid-signature',
        'X-Kielto-Signature must be sha256=<hex HMAC-SHA256 of the raw body with the webhook secret>',
      );
    }
    return true;
  }
}
