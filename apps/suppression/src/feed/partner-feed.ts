import { CHANNELS, PARTNER_OPT_OUT, PartnerReasonCode, PURPOSES, REASON_CODES } from '@kielto/contracts/enums';
import { SUPPRESSION_FEED_TYPE, SuppressionFeedValueV1 } from '@kielto/contracts/feed';
import { decide, forPartner } from '../engine';
import type { SubjectFacts } from '../engine';

/**
 * Explicit opt-outs: an objection, a block or a legal stop. `no-consent` and `consent-expired` are only the
 * absence of a permission, which a partner's own consent may supply, so they are not published.
 */
const FEED_CODES: ReadonlySet<PartnerReasonCode> = new Set<PartnerReasonCode>([
  PARTNER_OPT_OUT,
  'prohibited',
  'consent-withdrawn',
  'bounce',
  'complaint',
  'robinson',
  'manual',
  'directory-ban',
]);

const CODE_ORDER = new Map<string, number>([PARTNER_OPT_OUT, ...REASON_CODES].map((c, i) => [c, i]));
const ALL_PAIRS = CHANNELS.length * PURPOSES.length;

type Suppression = SuppressionFeedValueV1['suppressions'][number];

/**
 * The partner-feed value of one identifier: what the decision engine says for every (channel, purpose),
 * restricted to explicit opt-outs, grouped so that a suppression that holds for every purpose of a channel
 * (or everything) is one line with `all`. Null (a tombstone) when nothing is suppressed.
 *
 * The value depends only on the state, never on the clock (the codes it keeps do not depend on `now`), so every
 * instance and every replay publishes exactly the same bytes for the same state.
 */
export function feedValue(kind: 'email' | 'phone', facts: SubjectFacts): SuppressionFeedValueV1 | null {
  return mayBeExplicitlySuppressed(facts) ? computeFeedValue(kind, facts) : null;
}

/** `feedValue` without the shortcut: sixteen decisions (exported for the test that holds the shortcut to it). */
export function computeFeedValue(kind: 'email' | 'phone', facts: SubjectFacts): SuppressionFeedValueV1 | null {
  // (code, since) → the (channel, purpose) pairs it applies to
  const groups = new Map<string, { code: PartnerReasonCode; since: string; pairs: Set<string> }>();
  for (const channel of CHANNELS) {
    for (const purpose of PURPOSES) {
      // R11: partners never learn which right was used (erased, restricted → opt-out).
      for (const reason of forPartner(decide(facts, { channel, purpose }, 0).reasons)) {
        if (!FEED_CODES.has(reason.code) || reason.since === null) continue;
        const key = `${reason.code}|${reason.since}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { code: reason.code, since: reason.since, pairs: new Set() }));
        group.pairs.add(`${channel}|${purpose}`);
      }
    }
  }
  if (groups.size === 0) return null;

  const suppressions: Suppression[] = [];
  for (const { code, since, pairs } of groups.values()) {
    if (pairs.size === ALL_PAIRS) {
      suppressions.push({ code, channel: 'all', purpose: 'all', since });
      continue;
    }
    for (const channel of CHANNELS) {
      const purposes = PURPOSES.filter((p) => pairs.has(`${channel}|${p}`));
      if (purposes.length === PURPOSES.length) suppressions.push({ code, channel, purpose: 'all', since });
      else for (const purpose of purposes) suppressions.push({ code, channel, purpose, since });
    }
  }
  suppressions.sort(compareSuppressions);
  const updatedAt = suppressions.reduce((latest, s) => (s.since > latest ? s.since : latest), suppressions[0].since);
  return { specversion: '1.0', type: SUPPRESSION_FEED_TYPE, kind, suppressions, updatedAt } as SuppressionFeedValueV1;
}

/**
 * False when no fact could give any of the feed's codes: each of them needs an erasure, a restriction, a full
 * directory ban, a staff entry, or a withdrawal or prohibition in the ledger (see the decision engine's rules).
 * Most identifiers a replay touches have none, and this spares them sixteen decisions.
 */
export function mayBeExplicitlySuppressed(facts: SubjectFacts): boolean {
  if (facts.erasedSince !== undefined || facts.fullDirectoryBanSince !== undefined) return true;
  if (facts.suppressionEntries.length > 0 || facts.restrictedSince !== undefined) return true;
  for (const entry of facts.ledger) if (entry.decision === 'withdraw' || entry.decision === 'prohibit') return true;
  return facts.also?.some(mayBeExplicitlySuppressed) ?? false;
}

function compareSuppressions(a: Suppression, b: Suppression): number {
  return (
    CODE_ORDER.get(a.code)! - CODE_ORDER.get(b.code)! ||
    compare(a.since, b.since) ||
    compare(a.channel, b.channel) ||
    compare(a.purpose, b.purpose)
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
