import { Injectable } from '@nestjs/common';
import { POSTAL_FIELDS, postalHashInput } from '@kielto/contracts';
import { Actor, FieldError, ProblemException } from '@kielto/platform';
import {
  decide,
  Decision,
  DecisionPolicy,
  DecisionQuery,
  forPartner,
  Reason,
  SubjectFacts,
  SuppressionState,
} from '../engine';
import { SuppressionEnv } from '../suppression.env';
import { FreshnessService } from '../freshness/freshness.service';
import { RegisterFreshness } from '../freshness/register-freshness';
import { SuppressionMetrics } from '../metrics/suppression-metrics';
import { Contact, isHashed, readChannel, readContact, readProduct, readPurpose } from './contact-reader';
import { decisionJson, resultJson } from './decision-json';
import { FastIdentifierHasher } from './fast-hasher';

const NO_FACTS: SubjectFacts = Object.freeze({ subject: 'identifier', ledger: [], suppressionEntries: [] });
export const MAX_BULK_CONTACTS = 10_000;
const HASH_CACHE_LIMIT = 50_000;
/** Field errors reported at most per request; the detail says when there were more. */
const MAX_REPORTED_ERRORS = 100;
const QUERY_KEYS = new Set([
  ...['channel', 'purpose', 'product', 'email', 'phone', 'customerId', 'emailHash', 'phoneHash'],
  ...POSTAL_FIELDS,
]);
const BULK_KEYS = new Set(['channel', 'purpose', 'product', 'contacts']);

export interface BulkRequest extends DecisionQuery {
  /** The answers are for a partner: no reason may reveal which right was used (R11). */
  partner: boolean;
  contacts: Contact[];
  /** The contacts array as sent (for the clearance's input hash). */
  raw: unknown[];
}

export interface BulkOutcome {
  /** One JSON object per contact, in input order. */
  results: string[];
  allowed: number;
  suppressed: number;
  asOf: number;
}

export const PARTNER_HASHED_ONLY = 'Partners may check hashed identifiers only (emailHash, phoneHash)';

export function validationProblem(errors: FieldError[], status = 400): ProblemException {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS);
  const names = [...new Set(shown.map((e) => e.field))].join(', ');
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more errors)` : '';
  return new ProblemException(status, 'validation', `Invalid request: ${names}${more}`, shown);
}

/** Resolves contacts to the facts held about them and asks the decision engine. */
@Injectable()
export class CheckService {
  private readonly policy: DecisionPolicy;

  constructor(
    private readonly state: SuppressionState,
    private readonly hasher: FastIdentifierHasher,
    private readonly freshness: FreshnessService,
    private readonly metrics: SuppressionMetrics,
    private readonly registers: RegisterFreshness,
    env: SuppressionEnv,
  ) {
    this.policy = { softOptInGraceMs: env.KIELTO_SOFT_OPT_IN_GRACE_DAYS * 86_400_000 };
  }

  facts(contact: Contact, cached = false): SubjectFacts {
    switch (contact.field) {
      case 'email':
      case 'phone':
        return cached
          ? this.state.factsForIdentifier(contact.field, this.cachedHash(contact.value))
          : this.state.factsForIdentifierWords(contact.field, this.hasher.hashWords(contact.value));
      case 'emailHash':
        return this.state.factsForIdentifier('email', contact.value);
      case 'phoneHash':
        return this.state.factsForIdentifier('phone', contact.value);
      case 'customerId':
        return this.state.factsForCustomer(contact.value) ?? NO_FACTS;
      case 'postal':
        return this.state.factsForPostalWords(this.hasher.hashWords(postalHashInput(contact.value)));
    }
  }

  /**
   * Keyed hashes of recently checked identifiers, for the single check: marketing tools ask about the same
   * addresses again and again (every send of every campaign), and the HMAC is most of a check's cost. Bounded
   * like the phone normaliser's cache — cleared when full, a refill costs one HMAC per identifier — and held in
   * memory only. Bulk checks and streams do not use it: their identifiers are mostly distinct.
   */
  private readonly hashCache = new Map<string, string>();

  private cachedHash(normalised: string): string {
    let hash = this.hashCache.get(normalised);
    if (hash === undefined) {
      if (this.hashCache.size >= HASH_CACHE_LIMIT) this.hashCache.clear();
      hash = this.hasher.hash(normalised);
      this.hashCache.set(normalised, hash);
    }
    return hash;
  }

  /**
   * Decides one validated contact and counts the decision. A partner's answer shows `opt-out` in place of
   * `erased` and `processing-restricted`, without rule or source (R11). A non-customer's phone or post check
   * while that channel's register is overdue is a 503 (`RegisterFreshness`; a stream asks once, at its start).
   */
  decide(
    contact: Contact,
    query: DecisionQuery,
    now: number,
    partner: boolean,
    cached = false,
    registersAsked = false,
  ): Decision {
    const facts = this.facts(contact, cached);
    if (!registersAsked) this.registers.assertCurrentFor(query.channel, facts, now);
    const decision = decide(facts, query, now, this.policy);
    this.metrics.tally.add(decision);
    if (!partner || decision.reasons.length === 0) return decision;
    return { decision: decision.decision, reasons: forPartner(decision.reasons) as Reason[] };
  }

  /** GET /v1/suppression/check: validate the query by hand (no class-validator on the hot path), then decide. */
  checkQuery(query: Record<string, unknown>, actor: Actor): Decision & { asOf: string } {
    const { decision, asOf } = this.answerQuery(query, actor);
    return { decision: decision.decision, reasons: decision.reasons, asOf: new Date(asOf).toISOString() };
  }

  /** The single check's answer as JSON text, the same bytes as JSON.stringify(checkQuery(…)) (the fast path). */
  checkQueryJson(query: Record<string, unknown>, actor: Actor): string {
    const { decision, asOf } = this.answerQuery(query, actor);
    return decisionJson(decision, new Date(asOf).toISOString());
  }

  private answerQuery(query: Record<string, unknown>, actor: Actor): { decision: Decision; asOf: number } {
    const errors: FieldError[] = [];
    const contactFields: Record<string, unknown> = {};
    for (const key in query) {
      if (!QUERY_KEYS.has(key)) errors.push({ field: key, message: `property ${key} should not exist` });
      else if (key !== 'channel' && key !== 'purpose' && key !== 'product') contactFields[key] = query[key];
    }
    const channel = readChannel(query.channel, errors);
    const purpose = readPurpose(query.purpose, errors);
    const product = readProduct(query.product, errors);
    const contact = readContact(contactFields, '', errors);
    if (errors.length > 0 || !contact || !channel || !purpose) throw validationProblem(errors);
    if (actor.role === 'partner' && !isHashed(contact))
      throw new ProblemException(403, 'forbidden', PARTNER_HASHED_ONLY);
    const asOf = this.freshness.assertFresh();
    const partner = actor.role === 'partner';
    return { decision: this.decide(contact, { channel, purpose, product }, Date.now(), partner, true), asOf };
  }

  /**
   * Validates a bulk body `{channel, purpose, contacts}`: more than 10 000 contacts is a 413 naming
   * `contacts`, any invalid contact a 400 naming its field (`contacts[17].email`), and a partner sending a
   * clear identifier a 403. Nothing is answered unless every contact is valid.
   */
  readBulk(body: unknown, actor: Actor): BulkRequest {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw validationProblem([{ field: 'body', message: 'body must be a JSON object {channel, purpose, contacts}' }]);
    }
    const record = body as Record<string, unknown>;
    const errors: FieldError[] = [];
    for (const key in record)
      if (!BULK_KEYS.has(key)) errors.push({ field: key, message: `property ${key} should not exist` });
    const channel = readChannel(record.channel, errors);
    const purpose = readPurpose(record.purpose, errors);
    const product = readProduct(record.product, errors);
    const raw = record.contacts;
    if (!Array.isArray(raw)) {
      errors.push({ field: 'contacts', message: 'contacts must be an array' });
      throw validationProblem(errors);
    }
    if (raw.length > MAX_BULK_CONTACTS) {
      throw new ProblemException(
        413,
        'too-many-contacts',
        `At most ${MAX_BULK_CONTACTS} contacts per request; use the stream`,
        [
          {
            field: 'contacts',
            message: `contacts must contain at most ${MAX_BULK_CONTACTS} elements (got ${raw.length})`,
          },
        ],
      );
    }
    const contacts: Contact[] = new Array<Contact>(raw.length);
    let clear = false;
    for (let i = 0; i < raw.length && errors.length < MAX_REPORTED_ERRORS; i++) {
      const contact = readContact(raw[i], `contacts[${i}]`, errors);
      if (contact) {
        contacts[i] = contact;
        if (!isHashed(contact)) clear = true;
      }
    }
    if (errors.length > 0 || !channel || !purpose) throw validationProblem(errors);
    if (actor.role === 'partner' && clear) throw new ProblemException(403, 'forbidden', PARTNER_HASHED_ONLY);
    return { channel, purpose, product, partner: actor.role === 'partner', contacts, raw };
  }

  /** checkBulk, once a watermark older than the bound was put to Kafka (FreshnessService.untilFresh). */
  async checkBulkWhenFresh(request: BulkRequest): Promise<BulkOutcome> {
    await this.freshness.untilFresh();
    return this.checkBulk(request);
  }

  /** Decides every contact of a validated bulk request against one fresh state. */
  checkBulk(request: BulkRequest): BulkOutcome {
    const asOf = this.freshness.assertFresh();
    const now = Date.now();
    const { contacts, partner } = request;
    const query: DecisionQuery = { channel: request.channel, purpose: request.purpose, product: request.product };
    const results = new Array<string>(contacts.length);
    let allowed = 0;
    for (let i = 0; i < contacts.length; i++) {
      const decision = this.decide(contacts[i], query, now, partner);
      if (decision.reasons.length === 0) allowed++;
      results[i] = resultJson(contacts[i].ref, decision);
    }
    return { results, allowed, suppressed: contacts.length - allowed, asOf };
  }
}
