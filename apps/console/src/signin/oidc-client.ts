import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Actor, isTokenRefusal, OidcSettings, OidcTokenVerifier, TokenRefusal } from '@kielto/platform';
import { newToken, PendingSignIn } from '../session/session-store';

const PROVIDER_TIMEOUT_MS = 5_000;
/** A sign-in not finished within this long must start again. */
export const PENDING_SIGN_IN_MS = 10 * 60_000;

interface ProviderEndpoints {
  authorization: string;
  token: string;
}

export interface OidcClientSettings extends OidcSettings {
  clientId: string;
  clientSecret?: string;
  scopes: string;
}

/** Why a callback is refused: `failed` (say so and start again), `provider-down`, or `forbidden` (no role of kielto). */
export type CallbackRefusal = { outcome: 'failed' | 'provider-down' | 'forbidden' };
export type SignedInPerson = {
  outcome: 'signed-in';
  actor: Actor;
  idToken: string;
  expiresAt: number;
  /** The ID token's `locale` claim (OIDC Core §5.1), when it has one. */
  locale?: string;
};

/**
 * The console as an OpenID Connect relying party: authorization code flow with PKCE (RFC 7636, S256), `state`
 * against cross-site request forgery of the callback and `nonce` against replayed ID tokens. The ID token is
 * verified by the same OidcTokenVerifier the services use (issuer, audience, signature by the provider's keys,
 * expiry, roles by KIELTO_OIDC_ROLE_MAP), so a person who may not use the services cannot sign in here either.
 */
export class OidcClient {
  private readonly verifier: OidcTokenVerifier;
  private endpoints?: Promise<ProviderEndpoints>;

  constructor(readonly settings: OidcClientSettings) {
    this.verifier = new OidcTokenVerifier(settings);
  }

  /** Where to send the browser, and what the callback must find again. */
  async start(redirectUri: string, now = Date.now()): Promise<{ url: string; pending: PendingSignIn }> {
    const { authorization } = await this.discover();
    const pending: PendingSignIn = {
      state: newToken(),
      nonce: newToken(),
      verifier: newToken(48),
      startedAt: now,
      redirectUri,
    };
    const url = new URL(authorization);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('scope', this.settings.scopes);
    url.searchParams.set('state', pending.state);
    url.searchParams.set('nonce', pending.nonce);
    url.searchParams.set('code_challenge', createHash('sha256').update(pending.verifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    return { url: url.href, pending };
  }

  /** The provider's answer at the redirect URI: the code exchanged for an ID token, verified; never throws. */
  async finish(
    pending: PendingSignIn | undefined,
    query: { code?: unknown; state?: unknown; error?: unknown },
    now = Date.now(),
  ): Promise<SignedInPerson | CallbackRefusal> {
    if (pending === undefined || now - pending.startedAt > PENDING_SIGN_IN_MS) return { outcome: 'failed' };
    if (typeof query.state !== 'string' || !sameText(query.state, pending.state)) return { outcome: 'failed' };
    if (typeof query.code !== 'string' || query.code === '' || query.error !== undefined) return { outcome: 'failed' };
    let idToken: string;
    try {
      idToken = await this.exchange(query.code, pending);
    } catch (error) {
      return { outcome: error instanceof ProviderRefused ? 'failed' : 'provider-down' };
    }
    const verified: Actor | TokenRefusal = await this.verifier.verify(idToken);
    if (isTokenRefusal(verified)) {
      if (verified.status === 503) return { outcome: 'provider-down' };
      return { outcome: verified.status === 403 ? 'forbidden' : 'failed' };
    }
    const claims = decodeJwt(idToken);
    if (typeof claims.nonce !== 'string' || !sameText(claims.nonce, pending.nonce)) return { outcome: 'failed' };
    return {
      outcome: 'signed-in',
      actor: verified,
      idToken,
      expiresAt: (claims.exp ?? 0) * 1000,
      ...(typeof claims.locale === 'string' ? { locale: claims.locale } : {}),
    };
  }

  private async exchange(code: string, pending: PendingSignIn): Promise<string> {
    const { token } = await this.discover();
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: pending.redirectUri,
      client_id: this.settings.clientId,
      code_verifier: pending.verifier,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.settings.clientSecret !== undefined) {
      const basic = `${encodeURIComponent(this.settings.clientId)}:${encodeURIComponent(this.settings.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    }
    const response = await fetch(token, {
      method: 'POST',
      headers,
      body: form.toString(),
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
    const body = (await response.json().catch(() => ({}))) as { id_token?: unknown };
    if (response.status >= 500) throw new Error(`token endpoint answered ${response.status}`);
    if (!response.ok || typeof body.id_token !== 'string') throw new ProviderRefused();
    return body.id_token;
  }

  /** The provider's endpoints from its discovery document, whose issuer must be the configured one. */
  private discover(): Promise<ProviderEndpoints> {
    this.endpoints ??= (async () => {
      const response = await fetch(`${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`discovery answered ${response.status}`);
      const doc = (await response.json()) as Record<string, unknown>;
      if (doc.issuer !== this.settings.issuer) throw new Error('discovery names another issuer');
      if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') {
        throw new Error('discovery has no authorization or token endpoint');
      }
      return { authorization: doc.authorization_endpoint, token: doc.token_endpoint };
    })().catch((error: unknown) => {
      this.endpoints = undefined; // the next sign-in tries again
      throw error;
    });
    return this.endpoints;
  }
}

class ProviderRefused extends Error {}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
