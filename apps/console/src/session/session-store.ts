import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Language, Role } from '@kielto/contracts';

/** A signed-in person, as the services will see them: their own credential, so roles and audit stay theirs. */
export interface ConsoleUser {
  /** The development API key, or the person's OpenID Connect ID token: sent to the services as Bearer. */
  credential: string;
  via: 'api-key' | 'oidc';
  /** Non-secret id the services record as the actor (key id or `oidc:<sub>`). */
  actorId: string;
  role: Role;
  roles: readonly Role[];
  name?: string;
  /** A token's `exp` (ms): the session ends with it. */
  expiresAt?: number;
}

/** An OpenID Connect sign-in under way: what the callback must find again (RFC 7636, OIDC Core §3.1.2.1). */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  startedAt: number;
  /** The redirect URI sent with the authorization request: the token request must name the same. */
  redirectUri: string;
}

export interface Flash {
  kind: 'notice' | 'alert';
  /** A message catalogue key and its parameters: rendered in the reader's language. */
  key: string;
  params?: Record<string, string>;
}

export interface Session {
  id: string;
  csrf: string;
  lang: Language;
  lastSeen: number;
  user?: ConsoleUser;
  pending?: PendingSignIn;
  /** Shown once on the next page (after a POST-redirect-GET): keeps results and personal data out of URLs. */
  flash?: Flash;
  /** Why the previous session ended, for the sign-in page. */
  ended?: 'idle' | 'signed-out' | 'expired';
}

export const newToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/**
 * Sessions in memory, keyed by an unguessable id (256 bits) held in the cookie. Idle ones end after
 * `idleMs`; the least recently used beyond `max` are dropped. One console instance holds its own sessions: a
 * restart signs everyone out, which for a staff console is acceptable (nothing is lost but the sign-in).
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly idleMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(lang: Language, ended?: Session['ended']): Session {
    const session: Session = { id: newToken(), csrf: newToken(), lang, lastSeen: this.now(), ended };
    this.sessions.set(session.id, session);
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }

  /**
   * The live session of an id, its idle clock restarted. An idle or expired one is deleted and reported, so the
   * sign-in page can say why.
   */
  touch(id: string | undefined): { session?: Session; ended?: Session['ended'] } {
    if (id === undefined) return {};
    const session = this.sessions.get(id);
    if (session === undefined) return {};
    const now = this.now();
    this.sessions.delete(id);
    if (now - session.lastSeen > this.idleMs) return { ended: session.user ? 'idle' : undefined };
    if (session.user?.expiresAt !== undefined && now >= session.user.expiresAt) return { ended: 'expired' };
    session.lastSeen = now;
    this.sessions.set(id, session); // re-inserted: the Map's order is least recently used first
    return { session };
  }

  /** A new id and CSRF token for a session whose privileges change (sign-in): a fixed id cannot be carried over. */
  rotate(session: Session): Session {
    this.sessions.delete(session.id);
    const next: Session = { ...session, id: newToken(), csrf: newToken(), lastSeen: this.now() };
    this.sessions.set(next.id, next);
    return next;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: Session, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
