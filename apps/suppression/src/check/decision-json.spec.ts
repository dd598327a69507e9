import type { Decision } from '../engine';
import { decisionJson, errorLineJson, refJson, resultJson, resultLine } from './decision-json';

const suppress: Decision = {
  decision: 'suppress',
  reasons: [
    { code: 'prohibited', rule: 'R5', source: 'GDPR Art 21(2)-(3)', since: '2025-01-01T00:00:00.000Z' },
    { code: 'no-consent', rule: 'R1', source: 'Act 917/2014 §200(1)', since: null },
  ],
};
const allow: Decision = { decision: 'allow', reasons: [] };
const refs: (string | number | null)[] = [
  null,
  0,
  17,
  -3.5,
  'plain',
  'quote " and \\ back',
  'äö€😀',
  'line\nbreak\u0001',
  '\ud800',
];

describe('decision JSON templates', () => {
  it.each(refs)('writes the same bytes as JSON.stringify for ref %p', (ref) => {
    const oneReason: Decision = { decision: 'suppress', reasons: suppress.reasons.slice(1) };
    for (const decision of [allow, suppress, oneReason, allow, oneReason, suppress]) {
      const json = JSON.stringify({ ref, decision: decision.decision, reasons: decision.reasons });
      expect(resultJson(ref, decision)).toBe(json);
      expect(resultLine(refJson(ref), decision)).toBe(json + '\n');
    }
    const error = errorLineJson(ref, 7, 'email must be a valid e-mail address');
    expect(JSON.parse(error)).toEqual({
      ...(ref === null ? {} : { ref }),
      line: 7,
      error: 'email must be a valid e-mail address',
    });
  });

  it('writes the single check answer as JSON.stringify would', () => {
    const asOf = '2025-03-01T10:00:00.000Z';
    for (const decision of [allow, suppress]) {
      expect(decisionJson(decision, asOf)).toBe(
        JSON.stringify({ decision: decision.decision, reasons: decision.reasons, asOf }),
      );
    }
  });
});

describe('reason JSON cache', () => {
  it('keeps reasons apart that differ only in their rule (consent-withdrawn is R3, R4 or R6)', () => {
    const since = '2025-02-01T00:00:00.000Z';
    for (const [rule, source] of [
      ['R3', 'Act 917/2014 §200(1)'],
      ['R6', 'GDPR Art 7(3)'],
    ] as const) {
      const decision: Decision = {
        decision: 'suppress',
        reasons: [{ code: 'consent-withdrawn', rule, source, since }],
      };
      expect(resultJson('x', decision)).toBe(
        JSON.stringify({ ref: 'x', decision: 'suppress', reasons: decision.reasons }),
      );
    }
  });
});
