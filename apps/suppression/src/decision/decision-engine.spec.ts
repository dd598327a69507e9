import { RULES } from '../../../../libs/contracts/src/enums';
import type {
  Channel,
  ConsentDecision,
  LedgerChannel,
  LedgerPurpose,
  ReasonCode,
  RuleId,
} from '../../../../libs/contracts/src/enums';
import { decide } from './decision-engine';
import type { Decision, LedgerEntryView, Reason, SubjectFacts, SuppressionEntryView } from './decision.types';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const NOW = T0 + 100 * DAY;
const iso = (ms: number): string => new Date(ms).toISOString();

type Customer = NonNullable<SubjectFacts['customer']>;

function facts(overrides: Partial<SubjectFacts> = {}): SubjectFacts {
  return { ledger: [], suppressionEntries: [], ...overrides };
}

function customer(overrides: Partial<Customer> = {}): Customer {
  return { organisationRoleContact: false, since: T0 - 365 * DAY, ...overrides };
}

function entry(
  decision: ConsentDecision,
  overrides: {
    channel?: LedgerChannel;
    purpose?: LedgerPurpose;
    at?: number;
    sequence?: number;
    expiresAt?: number;
  } = {},
): LedgerEntryView {
  return { channel: 'all', purpose: 'all', at: T0, sequence: 1, decision, ...overrides };
}

function suppression(
  reason: SuppressionEntryView['reason'],
  overrides: Partial<Omit<SuppressionEntryView, 'reason'>> = {},
): SuppressionEntryView {
  return { channel: 'email', since: T0, reason, ...overrides };
}

function because(code: ReasonCode, rule: RuleId, since: number | null): Reason {
  return { code, rule, source: RULES[rule], since: since === null ? null : iso(since) };
}

const allow: Decision = { decision: 'allow', reasons: [] };
const suppress = (...reasons: Reason[]): Decision => ({ decision: 'suppress', reasons });

describe(decide.name, () => {
  describe('ledger semantics', () => {
    it('lets "withdraw all/all" beat an older specific grant', () => {
      const subject = facts({
        ledger: [
          entry('grant', { channel: 'email', purpose: 'partner-marketing', at: T0 }),
          entry('withdraw', { at: T0 + DAY }),
        ],
      });
      expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(
        suppress(because('consent-withdrawn', 'R6', T0 + DAY)),
      );
    });

    it('lets a newer specific grant beat an older blanket withdrawal', () => {
      const subject = facts({
        ledger: [entry('grant', { channel: 'sms', purpose: 'profiling', at: T0 + DAY }), entry('withdraw', { at: T0 })],
      });
      expect(decide(subject, 'sms', 'profiling', NOW)).toEqual(allow);
      // The grant covers only sms/profiling: the blanket withdrawal still decides everything else.
      expect(decide(subject, 'email', 'profiling', NOW)).toEqual(suppress(because('consent-withdrawn', 'R6', T0)));
      expect(decide(subject, 'sms', 'market-research', NOW)).toEqual(suppress(because('consent-withdrawn', 'R6', T0)));
    });

    it('counts only entries that cover the channel and purpose asked about', () => {
      const subject = facts({
        ledger: [
          entry('grant', { channel: 'sms', purpose: 'partner-marketing' }),
          entry('grant', { channel: 'email', purpose: 'profiling' }),
        ],
      });
      expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(suppress(because('no-consent', 'R1', null)));
      expect(decide(subject, 'sms', 'partner-marketing', NOW)).toEqual(allow);
      expect(decide(subject, 'email', 'profiling', NOW)).toEqual(allow);
    });

    it('does not depend on the order of the entries', () => {
      const older = entry('grant', { at: T0 });
      const newer = entry('withdraw', { at: T0 + 1 });
      const expected = suppress(because('consent-withdrawn', 'R6', T0 + 1));
      expect(decide(facts({ ledger: [older, newer] }), 'email', 'partner-marketing', NOW)).toEqual(expected);
      expect(decide(facts({ ledger: [newer, older] }), 'email', 'partner-marketing', NOW)).toEqual(expected);
    });

    it('orders entries recorded in the same millisecond by sequence', () => {
      const regranted = [entry('withdraw', { sequence: 7 }), entry('grant', { sequence: 8 })];
      const withdrawn = [entry('grant', { sequence: 7 }), entry('withdraw', { sequence: 8 })];
      expect(decide(facts({ ledger: regranted }), 'email', 'partner-marketing', NOW)).toEqual(allow);
      expect(decide(facts({ ledger: withdrawn }), 'email', 'partner-marketing', NOW)).toEqual(
        suppress(because('consent-withdrawn', 'R6', T0)),
      );
    });

    it('fails safe on a tie of `at` (and sequence) between a grant and a withdrawal: suppress', () => {
      const grant = entry('grant', { at: T0, sequence: 1 });
      const withdraw = entry('withdraw', { at: T0, sequence: 1 });
      const expected = suppress(because('consent-withdrawn', 'R6', T0));
      expect(decide(facts({ ledger: [grant, withdraw] }), 'email', 'partner-marketing', NOW)).toEqual(expected);
      expect(decide(facts({ ledger: [withdraw, grant] }), 'email', 'partner-marketing', NOW)).toEqual(expected);
    });

    it('fails safe on a tie between a prohibition and its lifting: prohibited', () => {
      const prohibit = entry('prohibit', { at: T0, sequence: 3 });
      const lift = entry('lift-prohibition', { at: T0, sequence: 3 });
      const expected = suppress(because('prohibited', 'R5', T0));
      expect(decide(facts({ ledger: [lift, prohibit] }), 'phone', 'own-marketing', NOW)).toEqual(expected);
      expect(decide(facts({ ledger: [prohibit, lift] }), 'phone', 'own-marketing', NOW)).toEqual(expected);
    });

    it('lets a prohibition beat a newer grant', () => {
      const subject = facts({
        ledger: [
          entry('prohibit', { channel: 'email', purpose: 'all', at: T0 }),
          entry('grant', { channel: 'email', purpose: 'partner-marketing', at: T0 + DAY }),
        ],
      });
      expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(suppress(because('prohibited', 'R5', T0)));
    });

    it('restores the grant after a later lift-prohibition', () => {
      const subject = facts({
        ledger: [
          entry('grant', { channel: 'email', purpose: 'partner-marketing', at: T0 }),
          entry('prohibit', { at: T0 + DAY }),
          entry('lift-prohibition', { at: T0 + 2 * DAY }),
        ],
      });
      expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(allow);
    });

    it('prohibits again after a lift followed by a newer prohibition', () => {
      const subject = facts({
        ledger: [
          entry('prohibit', { at: T0 }),
          entry('lift-prohibition', { at: T0 + DAY }),
          entry('prohibit', { channel: 'post', purpose: 'market-research', at: T0 + 2 * DAY }),
        ],
      });
      expect(decide(subject, 'post', 'market-research', NOW)).toEqual(
        suppress(because('prohibited', 'R5', T0 + 2 * DAY)),
      );
      expect(decide(subject, 'post', 'own-marketing', NOW)).toEqual(allow);
      expect(decide(subject, 'phone', 'market-research', NOW)).toEqual(allow);
    });
  });

  describe('rule 1: erased, restricted, prohibited', () => {
    it('suppresses an erased subject (R8)', () => {
      expect(decide(facts({ erasedSince: T0 }), 'post', 'own-marketing', NOW)).toEqual(
        suppress(because('erased', 'R8', T0)),
      );
    });

    it('lists erased and prohibited together, in precedence order', () => {
      const subject = facts({ erasedSince: T0 + DAY, ledger: [entry('prohibit', { at: T0 })] });
      expect(decide(subject, 'phone', 'partner-marketing', NOW)).toEqual(
        suppress(because('erased', 'R8', T0 + DAY), because('prohibited', 'R5', T0)),
      );
    });

    it('never treats an erased subject as an existing customer', () => {
      const subject = facts({ erasedSince: T0, customer: customer() });
      expect(decide(subject, 'email', 'own-marketing', NOW)).toEqual(
        suppress(because('erased', 'R8', T0), because('no-consent', 'R1', null)),
      );
    });

    it('suppresses a customer whose processing is restricted (R7), whatever the consents say', () => {
      const subject = facts({ customer: customer({ restrictedSince: T0 + 5 * DAY }), ledger: [entry('grant')] });
      expect(decide(subject, 'email', 'own-marketing', NOW)).toEqual(
        suppress(because('processing-restricted', 'R7', T0 + 5 * DAY)),
      );
      expect(decide(subject, 'phone', 'own-marketing', NOW)).toEqual(
        suppress(because('processing-restricted', 'R7', T0 + 5 * DAY)),
      );
    });

    it('suppresses phone and post once the person prohibited them (R5)', () => {
      const subject = facts({ customer: customer(), ledger: [entry('prohibit', { channel: 'phone', at: T0 })] });
      expect(decide(subject, 'phone', 'own-marketing', NOW)).toEqual(suppress(because('prohibited', 'R5', T0)));
      expect(decide(subject, 'post', 'own-marketing', NOW)).toEqual(allow);
    });
  });

  describe('rule 2: the suppression list (each entry cites R5)', () => {
    it('suppresses email after a bounce, and leaves sms alone', () => {
      const subject = facts({ ledger: [entry('grant')], suppressionEntries: [suppression('bounce', { since: T0 })] });
      expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(suppress(because('bounce', 'R5', T0)));
      expect(decide(subject, 'sms', 'partner-marketing', NOW)).toEqual(allow);
    });

    it('suppresses email after a complaint, reporting the earliest of several', () => {
      const subject = facts({
        customer: customer(),
        suppressionEntries: [suppression('complaint', { since: T0 + DAY }), suppression('complaint', { since: T0 })],
      });
      expect(decide(subject, 'email', 'own-marketing', NOW)).toEqual(suppress(because('complaint', 'R5', T0)));
    });

    it('suppresses the channel of a manual entry only', () => {
      const subject = facts({
        ledger: [entry('grant')],
        suppressionEntries: [suppression('manual', { channel: 'sms', since: T0 })],
      });
      expect(decide(subject, 'sms', 'own-marketing', NOW)).toEqual(suppress(because('manual', 'R5', T0)));
      expect(decide(subject, 'email', 'own-marketing', NOW)).toEqual(allow);
      expect(decide(subject, 'post', 'own-marketing', NOW)).toEqual(allow);
    });

    it('suppresses every channel for a manual entry on "all"', () => {
      const subject = facts({
        ledger: [entry('grant')],
        suppressionEntries: [suppression('manual', { channel: 'all' })],
      });
      for (const channel of ['email', 'sms', 'phone', 'post'] as const) {
        expect(decide(subject, channel, 'profiling', NOW)).toEqual(suppress(because('manual', 'R5', T0)));
      }
    });

    describe('robinson', () => {
      const robinson = [suppression('robinson', { channel: 'phone', since: T0 })];

      it('allows own marketing by phone and post to an existing customer', () => {
        const subject = facts({ customer: customer(), suppressionEntries: robinson });
        expect(decide(subject, 'phone', 'own-marketing', NOW)).toEqual(allow);
        expect(decide(subject, 'post', 'own-marketing', NOW)).toEqual(allow);
      });

      it('suppresses partner marketing by phone and post, even to a customer', () => {
        const subject = facts({ customer: customer(), suppressionEntries: robinson });
        expect(decide(subject, 'phone', 'partner-marketing', NOW)).toEqual(suppress(because('robinson', 'R5', T0)));
        expect(decide(subject, 'post', 'partner-marketing', NOW)).toEqual(suppress(because('robinson', 'R5', T0)));
      });

      it('suppresses own marketing by phone to someone who is not a customer', () => {
        const subject = facts({ suppressionEntries: robinson });
        expect(decide(subject, 'phone', 'own-marketing', NOW)).toEqual(suppress(because('robinson', 'R5', T0)));
      });

      it('does not affect email', () => {
        const subject = facts({ ledger: [entry('grant')], suppressionEntries: robinson });
        expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(allow);
      });
    });

    it('lists rule 1 before rule 2 and the list reasons in their order', () => {
      const subject = facts({
        erasedSince: T0 + 3 * DAY,
        ledger: [entry('grant')],
        suppressionEntries: [
          suppression('manual', { channel: 'email', since: T0 + 2 * DAY }),
          suppression('complaint', { since: T0 + DAY }),
          suppression('bounce', { since: T0 }),
        ],
      });
      expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(
        suppress(
          because('erased', 'R8', T0 + 3 * DAY),
          because('bounce', 'R5', T0),
          because('complaint', 'R5', T0 + DAY),
          because('manual', 'R5', T0 + 2 * DAY),
        ),
      );
    });
  });

  describe('rule 3: full directory ban (R9)', () => {
    const banned = facts({ customer: customer(), ledger: [entry('grant')], fullDirectoryBanSince: T0 });

    it.each<Channel>(['phone', 'post'])('suppresses %s for partner marketing', (channel) => {
      expect(decide(banned, channel, 'partner-marketing', NOW)).toEqual(suppress(because('directory-ban', 'R9', T0)));
    });

    it('affects neither other purposes nor electronic channels', () => {
      expect(decide(banned, 'phone', 'own-marketing', NOW)).toEqual(allow);
      expect(decide(banned, 'post', 'market-research', NOW)).toEqual(allow);
      expect(decide(banned, 'email', 'partner-marketing', NOW)).toEqual(allow);
      expect(decide(banned, 'sms', 'partner-marketing', NOW)).toEqual(allow);
    });

    it('comes after the suppression list', () => {
      const subject = facts({ fullDirectoryBanSince: T0 + DAY, suppressionEntries: [suppression('robinson')] });
      expect(decide(subject, 'phone', 'partner-marketing', NOW)).toEqual(
        suppress(because('robinson', 'R5', T0), because('directory-ban', 'R9', T0 + DAY)),
      );
    });
  });

  describe('rule 4: email and sms', () => {
    describe('to a natural person', () => {
      it('allows with an unexpired grant (R1)', () => {
        const subject = facts({ ledger: [entry('grant', { expiresAt: NOW + 1 })] });
        expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(allow);
        expect(decide(subject, 'sms', 'partner-marketing', NOW)).toEqual(allow);
      });

      it('suppresses without any entry: no-consent (R1)', () => {
        expect(decide(facts(), 'sms', 'own-marketing', NOW)).toEqual(suppress(because('no-consent', 'R1', null)));
      });

      it('suppresses partner marketing on an expired grant: consent-expired since the expiry (R1)', () => {
        const subject = facts({ customer: customer(), ledger: [entry('grant', { expiresAt: NOW })] });
        expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(
          suppress(because('consent-expired', 'R1', NOW)),
        );
      });

      it('still allows own marketing to an existing customer on an expired grant (R2)', () => {
        const subject = facts({ customer: customer(), ledger: [entry('grant', { expiresAt: T0 + DAY })] });
        expect(decide(subject, 'email', 'own-marketing', NOW)).toEqual(allow);
      });

      it('allows own marketing to an existing customer without any entry: soft opt-in (R2)', () => {
        const subject = facts({ customer: customer() });
        expect(decide(subject, 'email', 'own-marketing', NOW)).toEqual(allow);
        expect(decide(subject, 'sms', 'own-marketing', NOW)).toEqual(allow);
        expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(suppress(because('no-consent', 'R1', null)));
      });

      it('ends the soft opt-in with a withdrawal: consent-withdrawn (R6)', () => {
        const subject = facts({ customer: customer(), ledger: [entry('withdraw', { channel: 'sms', at: T0 })] });
        expect(decide(subject, 'sms', 'own-marketing', NOW)).toEqual(suppress(because('consent-withdrawn', 'R6', T0)));
        expect(decide(subject, 'email', 'own-marketing', NOW)).toEqual(allow);
      });
    });

    describe('to an organisation role contact (R3 opt-out)', () => {
      const role = customer({ organisationRoleContact: true });

      it('allows without any entry', () => {
        expect(decide(facts({ customer: role }), 'email', 'partner-marketing', NOW)).toEqual(allow);
      });

      it('allows with an expired grant', () => {
        const subject = facts({ customer: role, ledger: [entry('grant', { expiresAt: T0 })] });
        expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(allow);
      });

      it('suppresses after a withdrawal: consent-withdrawn (R3)', () => {
        const subject = facts({ customer: role, ledger: [entry('withdraw', { channel: 'email', at: T0 + DAY })] });
        expect(decide(subject, 'email', 'partner-marketing', NOW)).toEqual(
          suppress(because('consent-withdrawn', 'R3', T0 + DAY)),
        );
      });
    });
  });

  describe('rule 5: phone and post (R4)', () => {
    it.each<Channel>(['phone', 'post'])('allows %s to anyone who has not prohibited it', (channel) => {
      expect(decide(facts(), channel, 'partner-marketing', NOW)).toEqual(allow);
    });

    it('is not suppressed by a withdrawal of consent, only by a prohibition', () => {
      const subject = facts({ ledger: [entry('withdraw', { at: T0 + DAY })] });
      expect(decide(subject, 'phone', 'partner-marketing', NOW)).toEqual(allow);
    });
  });

  it('fails closed on an unknown channel', () => {
    expect(() => decide(facts(), 'fax' as Channel, 'own-marketing', NOW)).toThrow(/unknown channel/);
  });
});
