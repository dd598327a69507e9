import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import {
  cloudEvent,
  CONSENT_EVENT_TYPES,
  ConsentRecordedV1,
  CUSTOMER_EVENT_TYPES,
  CustomerErasedV1,
  CustomerKind,
  CustomerStateV1,
  DIRECTORY_BAN_EVENT_TYPES,
  DirectoryBanLiftedV1,
  DirectoryBanSetV1,
  LedgerChannel,
  LedgerPurpose,
  normaliseEmail,
  Product,
  normalisePhone,
  subjectKey,
  TOPICS,
} from '@kielto/contracts';
import { IdentifierHasher, KafkaService, ServiceApp } from '@kielto/platform';
import { bearer, eventually, PARTNER_HASH_KEY } from '../../../../test/support/stack';

/**
 * For test files that do not test freshness: a generous staleness bound, so that a busy shared machine (the
 * test process hosts the services and the test code on one event loop) cannot turn an answer into a 503.
 * freshness.e2e-spec.ts tests the bound itself.
 */
export const RELAXED_FRESHNESS = { SUPPRESSION_MAX_STALENESS_MS: '30000' };

export const hasher = new IdentifierHasher(PARTNER_HASH_KEY);
const SINCE = '2024-01-01T00:00:00.000Z';
export const emailHash = (email: string) => hasher.hash(normaliseEmail(email)!);
export const phoneHash = (phone: string) => hasher.hash(normalisePhone(phone)!);

export interface CustomerSpec {
  kind?: CustomerKind;
  emails?: string[];
  phones?: string[];
  /** addresses of named contact persons of an organisation, each a contact person of their own (R3) */
  contactPersonEmails?: string[];
  /** contact persons with several identifiers (v1.1: `person` ids) */
  contactPersons?: { id: string; emails?: string[]; phones?: string[] }[];
  restrictedSince?: string;
  name?: string;
  /** default true */
  activeContract?: boolean;
  relationshipEndedAt?: string;
  products?: Product[];
  /** since when the own identifiers are held (default: the customer's `since`) */
  from?: string;
  /** identifiers held before: `[from, until)` */
  former?: { email?: string; phone?: string; from: string; until: string; person?: string }[];
}

/**
 * Publishes source events exactly as the customers, consents and directory-bans services do (well-formed
 * CloudEvents with their contract payload classes, keyed by aggregate id, per-aggregate sequences) to the
 * test's prefixed topics, so suppression can be tested without those services in the stack.
 */
export class SourceEvents {
  private readonly sequences = new Map<string, number>();
  private readonly kafka: KafkaService;

  constructor(app: ServiceApp) {
    this.kafka = app.app.get(KafkaService);
  }

  customerState(customerId: string, spec: CustomerSpec): CustomerStateV1 {
    const from = spec.from ?? SINCE;
    return {
      customerId,
      customerNumber: `C-${customerId.slice(0, 8)}`,
      kind: spec.kind ?? 'person',
      language: 'fi',
      activeContract: spec.activeContract ?? true,
      ...(spec.relationshipEndedAt ? { relationshipEndedAt: spec.relationshipEndedAt } : {}),
      products: spec.products ?? [],
      contactPoints: [
        ...(spec.emails ?? []).map((e) => ({
          kind: 'email' as const,
          hash: emailHash(e),
          owner: 'own' as const,
          from,
        })),
        ...(spec.phones ?? []).map((p) => ({
          kind: 'phone' as const,
          hash: phoneHash(p),
          owner: 'own' as const,
          from,
        })),
        ...(spec.contactPersonEmails ?? []).map((e, i) => ({
          kind: 'email' as const,
          hash: emailHash(e),
          owner: 'contact-person' as const,
          person: `cp-${i}`,
          from,
        })),
        ...(spec.contactPersons ?? []).flatMap((cp) => [
          ...(cp.emails ?? []).map((e) => ({
            kind: 'email' as const,
            hash: emailHash(e),
            owner: 'contact-person' as const,
            person: cp.id,
            from,
          })),
          ...(cp.phones ?? []).map((p) => ({
            kind: 'phone' as const,
            hash: phoneHash(p),
            owner: 'contact-person' as const,
            person: cp.id,
            from,
          })),
        ]),
      ],
      formerContactPoints: (spec.former ?? []).map((f) => ({
        kind: f.email ? ('email' as const) : ('phone' as const),
        hash: f.email ? emailHash(f.email) : phoneHash(f.phone!),
        owner: f.person ? ('contact-person' as const) : ('own' as const),
        ...(f.person ? { person: f.person } : {}),
        from: f.from,
        until: f.until,
      })),
      listing: { name: spec.name ?? 'Testi Henkilö', ...(spec.phones?.[0] ? { phone: spec.phones[0] } : {}) },
      ...(spec.restrictedSince ? { restrictedSince: spec.restrictedSince } : {}),
      since: SINCE,
    };
  }

  /** Creates (or, when called again for the same id, updates) a customer. */
  async customer(customerId: string, spec: CustomerSpec): Promise<void> {
    const type = this.sequences.has(`c:${customerId}`) ? CUSTOMER_EVENT_TYPES.updated : CUSTOMER_EVENT_TYPES.created;
    await this.publish(TOPICS.customers, `c:${customerId}`, customerId, type, this.customerState(customerId, spec));
  }

  async erased(customerId: string, spec: CustomerSpec): Promise<void> {
    const state = this.customerState(customerId, spec);
    const data: CustomerErasedV1 = {
      customerId,
      contactPoints: state.contactPoints,
      formerContactPoints: state.formerContactPoints,
      erasedAt: new Date().toISOString(),
    };
    await this.publish(TOPICS.customers, `c:${customerId}`, customerId, CUSTOMER_EVENT_TYPES.erased, data);
  }

  /** A customer's state (or its erasure) exactly as given, e.g. built from a generated history. */
  async customerEvent(data: CustomerStateV1 | CustomerErasedV1): Promise<void> {
    const id = data.customerId;
    const type =
      'erasedAt' in data
        ? CUSTOMER_EVENT_TYPES.erased
        : this.sequences.has(`c:${id}`)
          ? CUSTOMER_EVENT_TYPES.updated
          : CUSTOMER_EVENT_TYPES.created;
    await this.publish(TOPICS.customers, `c:${id}`, id, type, data);
  }

  /** A consent ledger entry written straight to the topic (e.g. a grant that has already expired). */
  async consent(
    subject: { type: 'customer' | 'email' | 'phone'; key: string },
    entry: {
      channel: LedgerChannel;
      purpose: LedgerPurpose;
      decision: ConsentRecordedV1['decision'];
      recordedAt?: string;
      expiresAt?: string;
    },
  ): Promise<void> {
    const key = subjectKey(subject);
    const sequence = (this.sequences.get(`l:${key}`) ?? 0) + 1;
    const data: ConsentRecordedV1 = {
      entryId: randomUUID(),
      subject,
      channel: entry.channel,
      purpose: entry.purpose,
      decision: entry.decision,
      recordedAt: entry.recordedAt ?? new Date().toISOString(),
      ...(entry.expiresAt ? { expiresAt: entry.expiresAt } : {}),
      source: 'test',
      sequence,
    };
    await this.publish(TOPICS.consents, `l:${key}`, key, CONSENT_EVENT_TYPES.recorded, data);
  }

  async ban(customerId: string, scope: 'full' | 'partial'): Promise<void> {
    const data: DirectoryBanSetV1 = {
      customerId,
      scope,
      hiddenFields: scope === 'full' ? [] : ['address'],
      outlets: [],
      since: new Date().toISOString(),
    };
    await this.publish(TOPICS.directoryBans, `b:${customerId}`, customerId, DIRECTORY_BAN_EVENT_TYPES.set, data);
  }

  async banLifted(customerId: string): Promise<void> {
    const data: DirectoryBanLiftedV1 = { customerId, liftedAt: new Date().toISOString() };
    await this.publish(TOPICS.directoryBans, `b:${customerId}`, customerId, DIRECTORY_BAN_EVENT_TYPES.lifted, data);
  }

  private async publish(
    topic: string,
    sequenceKey: string,
    subject: string,
    type: string,
    data: object,
  ): Promise<void> {
    const sequence = (this.sequences.get(sequenceKey) ?? 0) + 1;
    this.sequences.set(sequenceKey, sequence);
    const event = cloudEvent({ service: topic.split('.')[1], type, subject, sequence, data });
    await this.kafka.producer.send({
      topic: this.kafka.topic(topic),
      acks: -1,
      messages: [
        { key: subject, value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json' } },
      ],
    });
  }
}

export type Query = Record<string, string>;

/** GET /v1/suppression/check as the given role. */
export function check(app: ServiceApp, query: Query, role: 'marketing' | 'partner' | 'staff' = 'marketing') {
  return request(app.app.getHttpServer() as Server)
    .get('/v1/suppression/check')
    .query(query)
    .set(bearer(role));
}

/**
 * Polls the check until its answer satisfies `accept` (the state catches up with published events within
 * milliseconds, but asynchronously), and returns that answer.
 */
export async function eventuallyAnswer(
  app: ServiceApp,
  query: Query,
  accept: (body: { decision: string; reasons: { code: string; rule: string }[] }) => boolean,
  what = `answer for ${JSON.stringify(query)}`,
) {
  return eventually(
    async () => {
      const res = await check(app, query);
      return res.status === 200 && accept(res.body as Parameters<typeof accept>[0]) && res;
    },
    20_000,
    what,
  );
}

/** Waits until the instance answers at all (its state has caught up with the topics once). */
export async function untilFresh(app: ServiceApp): Promise<void> {
  await eventuallyAnswer(
    app,
    { channel: 'post', purpose: 'own-marketing', email: 'warm-up@example.fi' },
    () => true,
    'a fresh state',
  );
}

export const codes = (body: { reasons: { code: string }[] }) => body.reasons.map((r) => r.code);

/** Identifiers unique to one test file's run: `email('anna')`, `phone()` (a fresh Finnish mobile number each call). */
export function testIdentifiers(prefix = '+35840') {
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  return {
    run,
    email: (name: string) => `${name}.${run}@example.fi`,
    phone: () => `${prefix}${String(Date.now() % 100000).padStart(5, '0')}${String(++counter).padStart(2, '0')}`,
  };
}

/** A check's query: channel, purpose, one contact field and any more (e.g. `product`). */
export const checkQuery = (
  channel: string,
  purpose: string,
  contact: Record<string, string>,
  more: Record<string, string> = {},
): Query => ({ channel, purpose, ...contact, ...more });

/** `POST /v1/consents` as staff, expecting 201. */
export const recordConsent = (consentsUrl: string, body: Record<string, unknown>) =>
  request(consentsUrl)
    .post('/v1/consents')
    .set(bearer('staff'))
    .send({ source: 'customer-service', ...body })
    .expect(201);
