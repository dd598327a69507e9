/** One explicit opt-out of an identifier: `channel`/`purpose` are `all` when it covers every channel/purpose. */
export interface Suppression {
  code: string;
  channel: string;
  purpose: string;
  since: string;
}

/** The value of a feed message (see kielto's AsyncAPI document, message `suppressionCurrent`). */
export interface FeedValue {
  specversion: '1.0';
  type: 'fi.kielto.suppression.current.v1';
  kind: 'email' | 'phone';
  suppressions: Suppression[];
  updatedAt: string;
}

/** A Kafka record as any client hands it over. */
export interface FeedMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
}

export type ApplyResult = 'suppressed' | 'cleared' | 'malformed' | 'ignored';

const HASH = /^[0-9a-f]{64}$/;
const FEED_TYPE = 'fi.kielto.suppression.current.v1';
/** What a value we cannot read means to us: suppressed for everything until kielto sends a readable one. */
const UNREADABLE: Suppression = { code: 'unreadable-feed-value', channel: 'all', purpose: 'all', since: '' };

/**
 * The partner's local copy of kielto's suppression list, keyed by identifier hash. Apply the records of
 * `kielto.suppression.v1` in order (per key they arrive in order): a value replaces what is held for its key,
 * a tombstone (null value) removes it. Because the topic is compacted, reading it from the beginning and
 * applying every record yields the complete current list.
 *
 * It fails closed: a value it cannot read keeps the identifier suppressed for everything, since a suppression list
 * that silently drops entries would let marketing through to people who objected.
 */
export class HashedSuppressionSet {
  private readonly entries = new Map<string, Suppression[]>();

  apply(message: FeedMessage): ApplyResult {
    const key = message.key === null ? '' : message.key.toString();
    if (!HASH.test(key)) return 'ignored'; // not a feed key: nothing to do with anyone
    if (message.value === null) {
      this.entries.delete(key);
      return 'cleared';
    }
    const value = parse(message.value.toString());
    if (!value) {
      this.entries.set(key, [UNREADABLE]);
      return 'malformed';
    }
    if (value.suppressions.length === 0) this.entries.delete(key);
    else this.entries.set(key, value.suppressions);
    return value.suppressions.length === 0 ? 'cleared' : 'suppressed';
  }

  /**
   * Whether the identifier with this hash must not be marketed to: at all (no channel/purpose given), or on the
   * given channel (`email`, `sms`, `phone`, `post`) for the given purpose (`own-marketing`, `partner-marketing`,
   * `profiling`, `market-research`).
   */
  isSuppressed(hash: string, channel?: string, purpose?: string): boolean {
    const held = this.entries.get(hash);
    if (!held) return false;
    return held.some(
      (s) =>
        (channel === undefined || s.channel === 'all' || s.channel === channel) &&
        (purpose === undefined || s.purpose === 'all' || s.purpose === purpose),
    );
  }

  suppressionsOf(hash: string): readonly Suppression[] {
    return this.entries.get(hash) ?? [];
  }

  get size(): number {
    return this.entries.size;
  }
}

function parse(text: string): FeedValue | undefined {
  try {
    const value = JSON.parse(text) as Partial<FeedValue>;
    const valid =
      value.type === FEED_TYPE &&
      (value.kind === 'email' || value.kind === 'phone') &&
      Array.isArray(value.suppressions) &&
      value.suppressions.every(
        (s) =>
          typeof s?.code === 'string' &&
          typeof s.channel === 'string' &&
          typeof s.purpose === 'string' &&
          typeof s.since === 'string',
      );
    return valid ? (value as FeedValue) : undefined;
  } catch {
    return undefined;
  }
}
