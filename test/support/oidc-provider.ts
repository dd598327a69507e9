import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, JWK, JWTPayload, KeyLike, SignJWT } from 'jose';

export const OIDC_AUDIENCE = 'kielto-test';
export const OIDC_ROLES_CLAIM = 'groups';
export const OIDC_ROLE_MAP = 'kielto-staff:staff,kielto-dpo:dpo,kielto-admin:admin';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyLike;
  publicKey: KeyLike;
  jwk: JWK;
}

export async function signingKey(kid: string, alg: SigningKey['alg'] = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, jwk };
}

/**
 * A real OpenID Connect provider's key endpoints on loopback: the discovery document and the JWKS, with keys the
 * test rotates, and a switch that makes it unreachable (every connection is reset).
 */
export class TestOidcProvider {
  keys: SigningKey[] = [];
  down = false;
  /** Requests for the key set, to see that rotation fetched it again. */
  jwksFetches = 0;
  private server?: Server;
  issuer = '';

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      if (this.down) {
        request.socket.destroy();
        return;
      }
      if (request.url === '/.well-known/openid-configuration') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/jwks` }));
      } else if (request.url === '/jwks') {
        this.jwksFetches++;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }));
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The KIELTO_OIDC_* settings of a service that trusts this provider (keys found by discovery). */
  env(): Record<string, string> {
    return {
      KIELTO_OIDC_ISSUER: this.issuer,
      KIELTO_OIDC_AUDIENCE: OIDC_AUDIENCE,
      KIELTO_OIDC_ROLES_CLAIM: OIDC_ROLES_CLAIM,
      KIELTO_OIDC_ROLE_MAP: OIDC_ROLE_MAP,
      // Every unknown kid fetches the key set again, so that rotation is seen at once.
      KIELTO_OIDC_JWKS_COOLDOWN_MS: '0',
    };
  }

  /** A token as the provider issues it; `claims` and `options` override the defaults (valid for 5 minutes). */
  async token(
    claims: JWTPayload & { groups?: string[]; name?: string },
    options: { key?: SigningKey; issuer?: string; audience?: string; expiresIn?: number; notBefore?: number } = {},
  ): Promise<string> {
    const key = options.key ?? this.keys[0];
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? OIDC_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 300));
    if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
    return jwt.sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export const tokenBearer = (token: string) => ({ Authorization: `Bearer ${token}` });
