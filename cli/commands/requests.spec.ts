import { DeskRow, formatRequests } from './requests';

const row = (over: Partial<DeskRow>): DeskRow => ({
  id: '6f0b9c2e-0000-4000-8000-000000000001',
  type: 'erasure',
  status: 'open',
  channel: 'email',
  receivedAt: '2026-03-01T10:00:00.000Z',
  dueAt: '2026-04-01T10:00:00.000Z',
  subject: { customerId: 'c-1' },
  ...over,
});

describe(formatRequests.name, () => {
  const now = Date.parse('2026-03-25T10:00:00.000Z');

  it('shows the deadline, days left or overdue, and the subject without its identifier', () => {
    const text = formatRequests(
      [
        row({ status: 'overdue', dueAt: '2026-03-20T10:00:00.000Z', subject: { email: 'matti@example.fi' } }),
        row({ extension: {}, subject: { phone: '+358401234567' } }),
        row({}),
      ],
      now,
    );
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/overdue\s+erasure\s+2026-03-20 {2}5 d overdue {2}e-mail$/);
    expect(lines[1]).toMatch(/due in 7 d \(extended\) {2}phone$/);
    expect(lines[2]).toMatch(/customer c-1$/);
    expect(text).not.toContain('matti@example.fi');
    expect(text).not.toContain('+358401234567');
  });

  it('says so when there is nothing', () => {
    expect(formatRequests([], now)).toBe('no requests\n');
  });
});
