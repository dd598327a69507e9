import { randomUUID } from 'node:crypto';
import { IdentifierHasher, ProblemException } from '@kielto/platform';
import { DeskRequest, TrailEntry } from './desk-request';
import { DeskRepository } from './desk.repository';
import { DeskLinks } from './dsr-link';

const request = (overrides: Partial<DeskRequest> = {}): DeskRequest => ({
  id: randomUUID(),
  version: 1,
  type: 'objection',
  subject: { customerId: randomUUID() },
  receivedAt: '2026-12-01T00:00:00.000Z',
  channel: 'email',
  dueAt: '2027-01-01T00:00:00.000Z',
  createdAt: '2026-12-01T00:00:00.000Z',
  createdBy: 'staff',
  ...overrides,
});

/** The desk's port, in memory. */
function deskOf(requests: DeskRequest[]) {
  const trails = new Map<string, TrailEntry[]>();
  const desk = {
    load: (id: string) => Promise.resolve(requests.find((r) => r.id === id)),
    appendTrail: (id: string, entry: TrailEntry) => {
      trails.set(id, [...(trails.get(id) ?? []), entry]);
      return Promise.resolve();
    },
  } as unknown as DeskRepository;
  return { links: new DeskLinks(desk, new IdentifierHasher('unit-test-hash-key-0123456789')), trails };
}

const refusal = async (attempt: Promise<unknown>) => {
  const error = (await attempt.catch((e: unknown) => e)) as ProblemException;
  expect(error).toBeInstanceOf(ProblemException);
  return { status: error.getStatus(), fields: error.fieldErrors?.map((e) => e.field) };
};

describe(DeskLinks.name, () => {
  it('links a write about the request’s customer, or a bare identifier named alike, and adds it to the trail', async () => {
    const ofCustomer = request();
    const ofEmail = request({ subject: { email: 'bare@example.fi' } });
    const { links, trails } = deskOf([ofCustomer, ofEmail]);
    const customer = links.targetOf({ customerId: ofCustomer.subject.customerId!.toUpperCase() });
    expect(await links.linkable(ofCustomer.id.toUpperCase(), customer)).toBe(ofCustomer.id);
    const email = links.targetOf({ email: ' Bare@Example.FI ' });
    expect(await links.linkable(ofEmail.id, email)).toBe(ofEmail.id);

    const entry = await links.addToTrail(ofEmail.id, {
      action: 'objection',
      target: email,
      actor: 'k',
      requestId: 'r',
    });
    expect(entry).toEqual({
      at: expect.any(String),
      action: 'objection',
      subject: expect.stringMatching(/^email:[0-9a-f]+$/),
      actor: 'k',
      requestId: 'r',
    });
    expect(JSON.stringify(trails.get(ofEmail.id))).not.toContain('bare@example.fi');
  });

  it('refuses, naming X-Kielto-Dsr: a malformed id, an unknown request, a closed one, another subject’s', async () => {
    const open = request();
    const closed = request({
      closed: { at: '2026-12-02T00:00:00.000Z', by: 'staff', outcome: 'refused', auditIds: [] },
    });
    const ofEmail = request({ subject: { email: 'bare@example.fi' } });
    const { links } = deskOf([open, closed, ofEmail]);
    const same = (r: DeskRequest) => links.targetOf({ customerId: r.subject.customerId });
    const named = { fields: ['X-Kielto-Dsr'] };
    expect(await refusal(links.linkable('not-a-uuid', same(open)))).toEqual({ status: 400, ...named });
    expect(await refusal(links.linkable(['a', 'b'], same(open)))).toEqual({ status: 400, ...named });
    expect(await refusal(links.linkable(randomUUID(), same(open)))).toEqual({ status: 422, ...named });
    expect(await refusal(links.linkable(closed.id, same(closed)))).toEqual({ status: 409, ...named });
    const other = links.targetOf({ customerId: randomUUID() });
    expect(await refusal(links.linkable(open.id, other))).toEqual({ status: 422, ...named });
    const otherEmail = links.targetOf({ email: 'other@example.fi' });
    expect(await refusal(links.linkable(ofEmail.id, otherEmail))).toEqual({ status: 422, ...named });
    expect(await refusal(links.linkable(open.id, otherEmail))).toEqual({ status: 422, ...named });
  });
});
