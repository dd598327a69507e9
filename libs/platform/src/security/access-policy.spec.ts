import { ApiKeyRegistry } from '../auth/api-keys';
import {
  AccessPolicy,
  accessLimitsFrom,
  DEFAULT_RATE_LIMITS,
  isDenial as isDenied,
  parseRateLimits,
  PendingAdmission,
} from './access-policy';

/** API keys are decided at once (only sign-in tokens are verified asynchronously). */
const isDenial = (admission: PendingAdmission): boolean => {
  if (admission instanceof Promise) throw new Error('an API key was not decided at once');
  return isDenied(admission);
};

const keys = new ApiKeyRegistry('staff:staff-key-0123456789,partner:partner-key-0123456789,dpo:dpo-key-0123456789');
const policy = (overrides: Partial<Parameters<typeof accessLimitsFrom>[0]> = {}) =>
  new AccessPolicy(
    keys,
    accessLimitsFrom({
      KIELTO_AUTH_FAILURES_PER_MINUTE: 3,
      KIELTO_PUBLIC_RATE_LIMIT_PER_MINUTE: 2,
      KIELTO_WEBHOOK_RATE_LIMIT_PER_MINUTE: 4,
      ...overrides,
    }),
  );

describe(AccessPolicy.name, () => {
  it('admits a key of an allowed role, refuses a missing key (401) and another role (403)', () => {
    const p = policy();
    expect(p.admit('Bearer staff-key-0123456789', ['staff'], '10.0.0.1')).toMatchObject({ role: 'staff' });
    expect(p.admit(undefined, ['staff'], '10.0.0.1')).toMatchObject({ status: 401 });
    expect(p.admit('Bearer partner-key-0123456789', ['staff'], '10.0.0.1')).toMatchObject({
      status: 403,
      actor: { role: 'partner' },
    });
  });

  it('counts failed authentications per address: over the budget, even a valid key from there gets 429', () => {
    const p = policy();
    for (let i = 0; i < 3; i++)
      expect(p.admit('Bearer guess-' + i, ['staff'], '10.0.0.2')).toMatchObject({ status: 401 });
    const blocked = p.admit('Bearer staff-key-0123456789', ['staff'], '10.0.0.2');
    expect(blocked).toMatchObject({ status: 429, retryAfter: expect.any(Number) });
    expect(isDenial(p.admit('Bearer staff-key-0123456789', ['staff'], '10.0.0.3'))).toBe(false);
  });

  it('limits each key by its role', () => {
    const p = policy({ KIELTO_RATE_LIMITS: 'partner:2' });
    expect(p.limits.perRole).toMatchObject({ partner: 2, staff: DEFAULT_RATE_LIMITS.staff });
    expect(isDenial(p.admit('Bearer partner-key-0123456789', ['partner'], 'a'))).toBe(false);
    expect(isDenial(p.admit('Bearer partner-key-0123456789', ['partner'], 'b'))).toBe(false);
    expect(p.admit('Bearer partner-key-0123456789', ['partner'], 'c')).toMatchObject({ status: 429 });
    expect(isDenial(p.admit('Bearer staff-key-0123456789', ['staff'], 'a'))).toBe(false);
  });

  it('limits public routes per address and route, webhooks with their own budget', () => {
    const p = policy();
    expect(p.admitPublic('/u/:token', 'page', 'x')).toBeUndefined();
    expect(p.admitPublic('/u/:token', 'page', 'x')).toBeUndefined();
    expect(p.admitPublic('/u/:token', 'page', 'x')).toMatchObject({ status: 429 });
    expect(p.admitPublic('/u/:token', 'page', 'y')).toBeUndefined();
    for (let i = 0; i < 4; i++) expect(p.admitPublic('/v1/inbound/sms', 'webhook', 'x')).toBeUndefined();
    expect(p.admitPublic('/v1/inbound/sms', 'webhook', 'x')).toMatchObject({ status: 429 });
  });

  it('has realistic defaults per role, and KIELTO_RATE_LIMIT_PER_MINUTE overrides them all', () => {
    expect(DEFAULT_RATE_LIMITS.staff).toBeLessThan(10_000);
    expect(DEFAULT_RATE_LIMITS.marketing).toBeGreaterThanOrEqual(60_000);
    expect(policy({ KIELTO_RATE_LIMIT_PER_MINUTE: 7 }).limits.perRole.dpo).toBe(7);
    expect(() => parseRateLimits('root:5')).toThrow(/entry 1/);
  });
});
