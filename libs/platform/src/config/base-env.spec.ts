import { parseRoleMap } from '../auth/oidc-tokens';
import { BaseEnv, ConfigValidationError, validateEnv } from './base-env';

const problemsOf = (raw: Record<string, string>): string => {
  try {
    validateEnv(BaseEnv, raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe(validateEnv.name, () => {
  it('says in words what is wrong with a secret, with its length but never its value', () => {
    const message = problemsOf({ KIELTO_PARTNER_HASH_KEY: 'too-short' });
    expect(message).toContain('KIELTO_PARTNER_HASH_KEY must be longer than or equal to 16 characters (9 given)');
    expect(message).not.toContain('too-short');
    expect(message).not.toMatch(/: minLength/);
  });

  it('lists the allowed values of a setting with a fixed set, one line per bad variable', () => {
    const message = problemsOf({ LOG_LEVEL: 'verbose', PORT: 'eighty' });
    expect(message.split('\n')).toEqual([
      'Invalid configuration:',
      '  - PORT must be an integer number',
      '  - LOG_LEVEL must be one of the following values: fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('refuses an API key list the services could not use, naming the entry', () => {
    expect(problemsOf({ KIELTO_API_KEYS: 'admin:long-enough-admin-key,root:another-long-key' })).toContain(
      'KIELTO_API_KEYS entry 2 must start with one of admin|staff|marketing|partner|dpo:',
    );
    expect(problemsOf({ KIELTO_API_KEYS: ' , ' })).toContain('KIELTO_API_KEYS holds no key');
    const short = problemsOf({ KIELTO_API_KEYS: 'staff:abc' });
    expect(short).toContain('KIELTO_API_KEYS entry 1 (staff) is shorter than 8 characters');
    expect(short).not.toContain('abc');
  });

  it('checks the OpenID Connect settings together, in words, switched on by the issuer', () => {
    expect(problemsOf({ KIELTO_OIDC_AUDIENCE: 'kielto' })).toContain(
      'KIELTO_OIDC_AUDIENCE is set but KIELTO_OIDC_ISSUER is not',
    );
    const message = problemsOf({ KIELTO_OIDC_ISSUER: 'https://login.example.fi/realms/staff' });
    expect(message).toContain('KIELTO_OIDC_AUDIENCE is required with KIELTO_OIDC_ISSUER');
    expect(message).toContain('KIELTO_OIDC_ROLE_MAP is required with KIELTO_OIDC_ISSUER');
    const roles = problemsOf({
      KIELTO_OIDC_ISSUER: 'login.example.fi',
      KIELTO_OIDC_AUDIENCE: 'kielto',
      KIELTO_OIDC_ROLE_MAP: 'kielto-staff:staff,kielto-bots:marketing',
    });
    expect(roles).toContain("KIELTO_OIDC_ISSUER must be the provider's issuer URL");
    expect(roles).toContain('KIELTO_OIDC_ROLE_MAP entry 2 must be <claim value>:<admin|staff|dpo>');
    const env = validateEnv(BaseEnv, {
      KIELTO_OIDC_ISSUER: 'https://login.example.fi/realms/staff',
      KIELTO_OIDC_AUDIENCE: 'kielto',
      KIELTO_OIDC_ROLE_MAP: 'urn:groups:kielto-staff:staff',
    });
    expect(parseRoleMap(env.KIELTO_OIDC_ROLE_MAP!)).toEqual(new Map([['urn:groups:kielto-staff', 'staff']]));
    expect(env.KIELTO_OIDC_ROLES_CLAIM).toBe('roles');
  });

  it('accepts the development defaults', () => {
    expect(validateEnv(BaseEnv, {}).LOG_LEVEL).toBe('info');
  });
});
