import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
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

/** Who the provider's sign-in page lets in next (the person "typing their password" at the provider). */
export interface ProviderUser {
  sub: string;
  name?: string;
  groups?: string[];
  /** OIDC Core §5.1 `locale` (BCP 47), e.g. `sv-FI`. */
  locale?: string;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce?: string;
  user: ProviderUser;
}

/**
 * A real OpenID Connect provider on loopback: the discovery document and the JWKS, with keys the test rotates, a
 * switch that makes it unreachable (every connection is reset), and an authorization server for the code flow with
 * PKCE: `/authorize` signs `nextUser` in at once and redirects back with a code; `/token` exchanges a code once,
 * for the same redirect URI and the verifier of its S256 challenge, for an ID token carrying the nonce.
 */
export class TestOidcProvider {
  keys: SigningKey[] = [];
  down = false;
  /** Requests for the key set, to see that rotation fetched it again. */
  jwksFetches = 0;
  private server?: Server;
  issuer = '';
  nextUser: ProviderUser = { sub: 'u-1', groups: [] };
  private readonly codes = new Map<string, IssuedCode>();
  /** Token requests refused, with why: tests look here to see a broken PKCE or replay was caught by the provider. */
  refusals: string[] = [];

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      if (this.down) {
        request.socket.destroy();
        return;
      }
      if (request.url === '/.well-known/openid-configuration') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            issuer: this.issuer,
            jwks_uri: `${this.issuer}/jwks`,
            authorization_endpoint: `${this.issuer}/authorize`,
            token_endpoint: `${this.issuer}/token`,
            code_challenge_methods_supported: ['S256'],
          }),
        );
      } else if (request.url?.startsWith('/authorize?')) {
        this.authorize(new URL(request.url, this.issuer).searchParams, response);
      } else if (request.url === '/token' && request.method === 'POST') {
        void this.exchange(request).then(([status, body]) => {
          response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          response.end(JSON.stringify(body));
        });
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

  private authorize(params: URLSearchParams, response: import('node:http').ServerResponse): void {
    const redirectUri = params.get('redirect_uri') ?? '';
    const challenge = params.get('code_challenge');
    if (
      params.get('response_type') !== 'code' ||
      !redirectUri ||
      !challenge ||
      params.get('code_challenge_method') !== 'S256'
    ) {
      response.writeHead(400).end('bad authorization request');
      return;
    }
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, {
      clientId: params.get('client_id') ?? '',
      redirectUri,
      challenge,
      nonce: params.get('nonce') ?? undefined,
      user: this.nextUser,
    });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', params.get('state') ?? '');
    response.writeHead(302, { location: back.href }).end();
  }

  private async exchange(request: IncomingMessage): Promise<[number, object]> {
    let raw = '';
    for await (const chunk of request) raw += String(chunk);
    const form = new URLSearchParams(raw);
    const code = form.get('code') ?? '';
    const issued = this.codes.get(code);
    this.codes.delete(code); // a code is good once
    const refuse = (why: string): [number, object] => {
      this.refusals.push(why);
      return [400, { error: 'invalid_grant', error_description: why }];
    };
    if (form.get('grant_type') !== 'authorization_code' || issued === undefined) return refuse('unknown code');
    if (form.get('redirect_uri') !== issued.redirectUri) return refuse('redirect_uri differs');
    if (form.get('client_id') !== issued.clientId) return refuse('client_id differs');
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.challenge) return refuse('PKCE verifier');
    const { sub, ...claims } = issued.user;
    const idToken = await this.token(
      { sub, ...claims, ...(issued.nonce ? { nonce: issued.nonce } : {}) },
      { audience: issued.clientId },
    );
    return [200, { id_token: idToken, access_token: idToken, token_type: 'Bearer', expires_in: 300 }];
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export const tokenBearer = (token: string) => ({ Authorization: `Bearer ${token}` });
