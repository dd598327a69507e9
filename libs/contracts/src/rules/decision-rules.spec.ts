import { decide, forPartner, type DecisionQuery, type SubjectFacts, type SuppressionEntryView } from './decision-rules';
import { bindsContactPerson, bindsHolder, type LedgerEntryView } from './ledger-rules';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const NOW = T0 + 100 * DAY;

const entry = (
  decision: LedgerEntryView['decision'],
  at = T0,
  more: Partial<LedgerEntryView> = {},
): LedgerEntryView => ({
  channel: 'all',
  purpose: 'all',
  decision,
  at,
  sequence: 1,
  ...more,
});
const staff = (
  reason: SuppressionEntryView['reason'],
  channel: SuppressionEntryView['channel'],
): SuppressionEntryView => ({
  reason,
  channel,
  since: T0,
});
const person = (more: Partial<SubjectFacts> = {}): SubjectFacts => ({
  subject: 'person',
  activeContract: true,
  ledger: [],
  suppressionEntries: [],
  ...more,
});
const bare = (more: Partial<SubjectFacts> = {}): SubjectFacts => ({
  subject: 'identifier',
  ledger: [],
  suppressionEntries: [],
  ...more,
});
const q = (
  channel: DecisionQuery['channel'],
  purpose: DecisionQuery['purpose'],
  product?: DecisionQuery['product'],
) => ({
  channel,
  purpose,
  product,
});

/** [the rule (docs/CONTRACT.md §3.7 rule / R-rule), the case, facts, query, expected reason codes ([] = allow)] */
const TABLE: [string, string, SubjectFacts, DecisionQuery, string[]][] = [
  // Rule 1
  ['1 R8', 'a tombstone suppresses everything', bare({ erasedSince: T0 }), q('post', 'own-marketing'), ['erased']],
  [
    '1 R8',
    'a covering grant after the erasure beats the tombstone (recycled number)',
    bare({ erasedSince: T0, ledger: [entry('grant', T0 + DAY)] }),
    q('phone', 'own-marketing'),
    [],
  ],
  [
    '1 R8',
    'a grant before the erasure does not',
    bare({ erasedSince: T0 + DAY, ledger: [entry('grant', T0)] }),
    q('phone', 'own-marketing'),
    ['erased'],
  ],
  [
    '1 R7',
    'restriction suppresses all marketing',
    person({ restrictedSince: T0 }),
    q('post', 'own-marketing'),
    ['processing-restricted'],
  ],
  [
    '1 R5',
    'a prohibition beats a newer grant',
    person({ ledger: [entry('prohibit'), entry('grant', T0 + DAY)] }),
    q('email', 'own-marketing'),
    ['prohibited'],
  ],
  [
    '1 R5',
    'a lift ends the prohibition',
    person({ ledger: [entry('prohibit'), entry('lift-prohibition', T0 + DAY)] }),
    q('post', 'partner-marketing'),
    [],
  ],
  [
    '1 R5',
    'an objection to own-marketing covers profiling',
    person({ ledger: [entry('prohibit', T0, { purpose: 'own-marketing' })] }),
    q('post', 'profiling'),
    ['prohibited'],
  ],
  [
    '1 R5',
    'an objection to partner-marketing covers profiling',
    person({ ledger: [entry('prohibit', T0, { purpose: 'partner-marketing' })] }),
    q('phone', 'profiling'),
    ['prohibited'],
  ],
  [
    '1 R5',
    'an objection to market research does not cover profiling',
    person({ ledger: [entry('prohibit', T0, { purpose: 'market-research' })] }),
    q('post', 'profiling'),
    [],
  ],
  // Rule 2
  [
    '2 R5',
    'a bounce stops e-mail only',
    person({ suppressionEntries: [staff('bounce', 'email')] }),
    q('sms', 'own-marketing'),
    [],
  ],
  [
    '2 R4',
    'Robinson (phone) stops partner phone calls',
    person({ suppressionEntries: [staff('robinson', 'phone')] }),
    q('phone', 'partner-marketing'),
    ['robinson'],
  ],
  [
    '2 R4',
    'Robinson (phone) does not stop post',
    person({ suppressionEntries: [staff('robinson', 'phone')] }),
    q('post', 'partner-marketing'),
    [],
  ],
  [
    '2 R4',
    'Robinson (all) stops post',
    bare({ suppressionEntries: [staff('robinson', 'all')] }),
    q('post', 'own-marketing'),
    ['robinson'],
  ],
  [
    '2 R4',
    'Robinson spares own-marketing to an active customer',
    person({ suppressionEntries: [staff('robinson', 'all')] }),
    q('phone', 'own-marketing'),
    [],
  ],
  [
    '2 R4',
    'Robinson binds a former customer',
    person({ activeContract: false, suppressionEntries: [staff('robinson', 'all')] }),
    q('phone', 'own-marketing'),
    ['robinson'],
  ],
  [
    '2 R4',
    'a DVV ban stops post for every purpose, even own-marketing to an active customer',
    person({ populationRegisterBan: true }),
    q('post', 'own-marketing'),
    ['population-register-ban'],
  ],
  [
    '2 R4',
    'a DVV ban does not stop phone',
    person({ populationRegisterBan: true }),
    q('phone', 'partner-marketing'),
    [],
  ],
  [
    '2 R5',
    'a manual entry stops its channel',
    person({ suppressionEntries: [staff('manual', 'sms')] }),
    q('sms', 'own-marketing'),
    ['manual'],
  ],
  // Rule 3
  [
    '3 R9',
    'a full directory ban stops partners by phone',
    person({ fullDirectoryBanSince: T0 }),
    q('phone', 'partner-marketing'),
    ['directory-ban'],
  ],
  ['3 R9', 'but not own marketing', person({ fullDirectoryBanSince: T0 }), q('phone', 'own-marketing'), []],
  // Rule 4
  [
    '4 R10',
    'mobile subscriptions are not telemarketed to an unknown number',
    bare(),
    q('phone', 'partner-marketing', 'mobile-subscription'),
    ['mobile-telemarketing-ban'],
  ],
  [
    '4 R10',
    'nor to an active customer without a mobile subscription',
    person(),
    q('phone', 'own-marketing', 'mobile-subscription'),
    ['mobile-telemarketing-ban'],
  ],
  [
    '4 R10',
    'but to own active mobile customers',
    person({ mobileSubscription: true }),
    q('phone', 'own-marketing', 'mobile-subscription'),
    [],
  ],
  [
    '4 R10',
    'not for partners even to mobile customers',
    person({ mobileSubscription: true }),
    q('phone', 'partner-marketing', 'mobile-subscription'),
    ['mobile-telemarketing-ban'],
  ],
  [
    '4 R10',
    "at the consumer's express request (a grant)",
    bare({ ledger: [entry('grant', T0, { channel: 'phone' })] }),
    q('phone', 'partner-marketing', 'mobile-subscription'),
    [],
  ],
  [
    '4 R10',
    'organisations are not consumers',
    person({ subject: 'organization' }),
    q('phone', 'partner-marketing', 'mobile-subscription'),
    [],
  ],
  ['4 R10', 'other products are not affected', bare(), q('phone', 'partner-marketing', 'tv'), []],
  // Rule 5
  ['5 R1', 'e-mail to a stranger needs consent', bare(), q('email', 'own-marketing'), ['no-consent']],
  ['5 R1', 'a grant allows', bare({ ledger: [entry('grant')] }), q('email', 'partner-marketing'), []],
  [
    '5 R1',
    'an expired grant does not',
    bare({ ledger: [entry('grant', T0, { expiresAt: T0 + DAY })] }),
    q('sms', 'partner-marketing'),
    ['consent-expired'],
  ],
  ['5 R2', 'soft opt-in for an active customer', person(), q('email', 'own-marketing'), []],
  [
    '5 R2',
    'no soft opt-in for a prospect or former customer',
    person({ activeContract: false }),
    q('email', 'own-marketing'),
    ['no-consent'],
  ],
  [
    '5 R2',
    'soft opt-in within the grace period',
    person({ activeContract: false, relationshipEndedAt: NOW - DAY }),
    q('email', 'own-marketing'),
    [],
  ],
  ['5 R2', 'soft opt-in is not for partners', person(), q('email', 'partner-marketing'), ['no-consent']],
  [
    '5 R6',
    'a withdrawal ends soft opt-in',
    person({ ledger: [entry('withdraw')] }),
    q('sms', 'own-marketing'),
    ['consent-withdrawn'],
  ],
  [
    '5 R6',
    '"withdraw all" beats an older specific grant',
    bare({ ledger: [entry('grant', T0, { channel: 'email' }), entry('withdraw', T0 + DAY)] }),
    q('email', 'own-marketing'),
    ['consent-withdrawn'],
  ],
  [
    '5 R1',
    'a newer specific grant beats an older blanket withdrawal',
    bare({ ledger: [entry('withdraw'), entry('grant', T0 + DAY, { channel: 'email' })] }),
    q('email', 'own-marketing'),
    [],
  ],
  [
    '5 R6',
    'ties: the restrictive entry decides whatever the order',
    bare({ ledger: [entry('withdraw', T0, { sequence: 1 }), entry('grant', T0, { sequence: 9 })] }),
    q('email', 'own-marketing'),
    ['consent-withdrawn'],
  ],
  ['5 R3', 'organisations are opt-out', person({ subject: 'organization' }), q('email', 'partner-marketing'), []],
  ['5 R3', 'contact persons are opt-out', person({ subject: 'contact-person' }), q('sms', 'partner-marketing'), []],
  [
    '5 R3',
    "a contact person's withdrawal suppresses",
    person({ subject: 'contact-person', ledger: [entry('withdraw')] }),
    q('email', 'own-marketing'),
    ['consent-withdrawn'],
  ],
  // Rule 6
  ['6 R4', 'phone is opt-out', bare(), q('phone', 'partner-marketing'), []],
  [
    '6 R4',
    'a withdrawal covering post is a refusal',
    person({ ledger: [entry('withdraw', T0, { channel: 'post' })] }),
    q('post', 'own-marketing'),
    ['consent-withdrawn'],
  ],
  [
    '6 R4',
    'a newer grant ends it',
    person({ ledger: [entry('withdraw'), entry('grant', T0 + DAY)] }),
    q('post', 'own-marketing'),
    [],
  ],
  // Several holders of one identifier
  [
    'R1-R11',
    'a shared address is suppressed when any holder is',
    person({ also: [person({ ledger: [entry('withdraw')] })] }),
    q('email', 'own-marketing'),
    ['consent-withdrawn'],
  ],
];

describe('decision rules (contract v1.1)', () => {
  it.each(TABLE)('rule %s: %s', (_rule, _case, facts, query, codes) => {
    const decision = decide(facts, query, NOW, { softOptInGraceMs: 30 * DAY });
    expect(decision.reasons.map((r) => r.code)).toEqual(codes);
    expect(decision.decision).toBe(codes.length === 0 ? 'allow' : 'suppress');
  });

  it('cites the rule and its source in every reason', () => {
    const [reason] = decide(bare(), q('phone', 'own-marketing', 'mobile-subscription'), NOW).reasons;
    expect(reason).toEqual({
      code: 'mobile-telemarketing-ban',
      rule: 'R10',
      source: 'Act 917/2014 §201 (HE 35/2024)',
      since: null,
    });
  });

  it('answers the same whatever the order of the ledger', () => {
    const ledger = [
      entry('grant', T0, { channel: 'email' }),
      entry('withdraw', T0, { purpose: 'own-marketing' }),
      entry('prohibit', T0 - 1),
      entry('lift-prohibition', T0 - 1),
    ];
    const a = decide(bare({ ledger }), q('email', 'own-marketing'), NOW);
    const b = decide(bare({ ledger: [...ledger].reverse() }), q('email', 'own-marketing'), NOW);
    expect(a).toEqual(b);
    expect(a.reasons.map((r) => r.code)).toEqual(['prohibited', 'consent-withdrawn']);
  });
});

describe(forPartner.name, () => {
  it('shows opt-out without rule or source in place of erased and processing-restricted (R11)', () => {
    const reasons = decide(
      person({ restrictedSince: T0 + 5, erasedSince: T0, ledger: [entry('prohibit')] }),
      q('email', 'own-marketing'),
      NOW,
    ).reasons;
    expect(forPartner(reasons)).toEqual([
      { code: 'opt-out', since: new Date(T0).toISOString() },
      expect.objectContaining({ code: 'prohibited', rule: 'R5' }),
    ]);
  });

  it('shows opt-out in place of population-register-ban: a safety ban must not show (R11)', () => {
    const reasons = decide(person({ populationRegisterBan: true }), q('post', 'partner-marketing'), NOW).reasons;
    expect(reasons.map((r) => r.code)).toEqual(['population-register-ban']);
    expect(forPartner(reasons)).toEqual([{ code: 'opt-out', since: null }]);
  });
});

describe('who an entry binds (§3 v1.1)', () => {
  it.each([
    ['a holder at recording time, for good', 'withdraw', T0, T0 - DAY, T0 + DAY, true],
    ['a later holder by a refusal', 'prohibit', T0, T0 + DAY, Infinity, true],
    ['never a later holder by a grant (recycled number)', 'grant', T0, T0 + DAY, Infinity, false],
    ['never a later holder by a lift', 'lift-prohibition', T0, T0 + DAY, Infinity, false],
    ['nobody after they let it go', 'withdraw', T0 + 2 * DAY, T0, T0 + DAY, false],
  ] as const)('binds %s', (_case, decision, at, from, until, binds) => {
    expect(bindsHolder({ decision, at }, from, until)).toBe(binds);
  });

  it('an organisation cannot consent for its contact persons (R3)', () => {
    expect(bindsContactPerson({ decision: 'grant' })).toBe(false);
    expect(bindsContactPerson({ decision: 'withdraw' })).toBe(true);
    expect(bindsContactPerson({ decision: 'prohibit' })).toBe(true);
  });
});
