import { validateEnv } from '@kielto/platform';
import { ConsentsEnv } from './consents.env';

describe(ConsentsEnv.name, () => {
  it('says in words why a webhook secret is refused, without echoing it', () => {
    const attempt = () => validateEnv(ConsentsEnv, { KIELTO_SMS_WEBHOOK_SECRET: 'hush' });
    expect(attempt).toThrow('KIELTO_SMS_WEBHOOK_SECRET must be longer than or equal to 16 characters (4 given)');
    expect(attempt).not.toThrow(/hush/);
  });

  it('explains the unsubscribe key format', () => {
    expect(() => validateEnv(ConsentsEnv, { KIELTO_UNSUBSCRIBE_KEYS: 'no-colon-here' })).toThrow(
      'KIELTO_UNSUBSCRIBE_KEYS must be kid:secret[,kid:secret…]',
    );
  });
});
