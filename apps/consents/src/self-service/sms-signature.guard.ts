import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ProblemException } from '@kielto/platform';
import { ConsentsEnv } from '../consents.env';
import { SmsWebhookDeliveryRepository } from './sms-webhook-delivery.repository';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;
/** How far a request's timestamp may be from our clock, either way (sender clock skew included). */
export const SMS_WEBHOOK_MAX_AGE_SECONDS = 300;

/**
 * The SMS gateway proves itself instead of with an API key:
 * `X-Kielto-Timestamp: <unix seconds>` and `X-Kielto-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`
 * keyed with KIELTO_SMS_WEBHOOK_SECRET. Signing the timestamp bounds how long a captured request is any use: one
 * more than 5 minutes off our clock is refused (401), and one seen before is refused (409), so a request works once.
 * A gateway that retries must sign again with a new timestamp. Runs before the body is validated, so an unsigned
 * request learns nothing about what a valid body looks like.
 */
@Injectable()
export class SmsSignatureGuard implements CanActivate {
  private readonly secret: Buffer;

  constructor(
    env: ConsentsEnv,
    private readonly deliveries: SmsWebhookDeliveryRepository,
  ) {
    this.secret = Buffer.from(env.KIELTO_SMS_WEBHOOK_SECRET, 'utf8');
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown>; rawBody?: Buffer }>();
    const now = Date.now();
    const timestamp = request.headers['x-kielto-timestamp'];
    const header = request.headers['x-kielto-signature'];
    const match = typeof header === 'string' ? SIGNATURE.exec(header.trim()) : null;
    if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp) || !match) {
      throw invalid('X-Kielto-Timestamp', 'both X-Kielto-Timestamp and X-Kielto-Signature are required');
    }
    const expected = createHmac('sha256', this.secret)
      .update(`${timestamp}.`)
      .update(request.rawBody ?? Buffer.alloc(0))
      .digest();
    if (!timingSafeEqual(Buffer.from(match[1], 'hex'), expected)) {
      throw invalid('X-Kielto-Signature', 'the signature does not match the timestamp and body');
    }
    if (Math.abs(now / 1000 - Number(timestamp)) > SMS_WEBHOOK_MAX_AGE_SECONDS) {
      throw invalid('X-Kielto-Timestamp', `the timestamp must be within ${SMS_WEBHOOK_MAX_AGE_SECONDS} s of now`);
    }
    // Checked last, so that only genuine, fresh requests are ever stored.
    const id = createHash('sha256').update(expected).digest('base64url');
    if (!(await this.deliveries.firstSeen(id, new Date(now), 2 * SMS_WEBHOOK_MAX_AGE_SECONDS * 1000))) {
      throw new ProblemException(409, 'replayed', 'This signed request was received before; sign again to resend', [
        { field: 'X-Kielto-Signature', message: 'a signed request is accepted once' },
      ]);
    }
    return true;
  }
}

function invalid(field: string, message: string): ProblemException {
  return new ProblemException(
    401,
    'invalid-signature',
    'X-Kielto-Timestamp and X-Kielto-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>"> are required',
    [{ field, message }],
  );
}
