import { addCalendarMonths, extendedDueAt, firstDueAt, matchesStatus, statusOf } from './desk-rules';

describe('data-subject request deadlines', () => {
  it('adds calendar months, clamping to the end of a shorter month', () => {
    expect(firstDueAt('2026-03-15T09:30:00.000Z')).toBe('2026-04-15T09:30:00.000Z');
    expect(firstDueAt('2026-01-31T10:00:00.000Z')).toBe('2026-02-28T10:00:00.000Z');
    expect(firstDueAt('2028-01-31T10:00:00.000Z')).toBe('2028-02-29T10:00:00.000Z');
    expect(firstDueAt('2026-12-20T00:00:00.000Z')).toBe('2027-01-20T00:00:00.000Z');
    expect(addCalendarMonths('2026-05-31T00:00:00.000Z', 1)).toBe('2026-06-30T00:00:00.000Z');
  });

  it('counts an extension from receipt, so a short month does not shorten it', () => {
    expect(extendedDueAt('2026-01-31T10:00:00.000Z', 2)).toBe('2026-04-30T10:00:00.000Z');
    expect(extendedDueAt('2026-01-31T10:00:00.000Z', 1)).toBe('2026-03-31T10:00:00.000Z');
  });

  it('is overdue when open after its deadline; open lists overdue ones too', () => {
    const now = Date.parse('2026-05-01T00:00:00.000Z');
    expect(statusOf({ dueAt: '2026-04-30T23:59:59.000Z' }, now)).toBe('overdue');
    expect(statusOf({ dueAt: '2026-05-02T00:00:00.000Z' }, now)).toBe('open');
    expect(statusOf({ dueAt: '2026-04-01T00:00:00.000Z', closed: {} }, now)).toBe('closed');
    expect(matchesStatus('overdue', 'open')).toBe(true);
    expect(matchesStatus('open', 'overdue')).toBe(false);
    expect(matchesStatus('closed', 'open')).toBe(false);
  });
});
