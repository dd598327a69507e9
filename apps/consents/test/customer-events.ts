import {
  cloudEvent,
  CUSTOMER_EVENT_TYPES,
  CustomerErasedV1,
  CustomerStateV1,
  Language,
  normaliseEmail,
  normalisePhone,
  TOPICS,
} from '@kielto/contracts';
import { IdentifierHasher, KafkaService, ServiceApp } from '@kielto/platform';
import { PARTNER_HASH_KEY } from '../../../test/support/stack';

interface CustomerOptions {
  emails?: string[];
  phones?: string[];
  language?: Language;
  activeContract?: boolean;
}

/**
 * Publishes customer events the way the customers service does (CloudEvents keyed by customer id), so the
 * consents service's consumer can be tested without the customers service in the stack.
 */
export class CustomerEventsFixture {
  private readonly hasher = new IdentifierHasher(PARTNER_HASH_KEY);
  private readonly sequences = new Map<string, number>();

  constructor(private readonly app: ServiceApp) {}

  emailHash(email: string): string {
    return this.hasher.hash(normaliseEmail(email)!);
  }

  phoneHash(phone: string): string {
    return this.hasher.hash(normalisePhone(phone)!);
  }

  contactPoints(emails: string[], phones: string[] = []): CustomerStateV1['contactPoints'] {
    return [
      ...emails.map((e) => ({ kind: 'email' as const, hash: this.emailHash(e), owner: 'own' as const })),
      ...phones.map((p) => ({ kind: 'phone' as const, hash: this.phoneHash(p), owner: 'own' as const })),
    ];
  }

  async created(customerId: string, options: CustomerOptions = {}): Promise<void> {
    await this.publish(customerId, CUSTOMER_EVENT_TYPES.created, this.state(customerId, options));
  }

  /** A rectification: `formerEmails` are the addresses the customer held until now (contract v1.1). */
  async updated(customerId: string, options: CustomerOptions & { formerEmails?: string[] } = {}): Promise<void> {
    const until = new Date().toISOString();
    const state: CustomerStateV1 = {
      ...this.state(customerId, options),
      formerContactPoints: (options.formerEmails ?? []).map((e) => ({
        kind: 'email' as const,
        hash: this.emailHash(e),
        owner: 'own' as const,
        from: new Date(Date.parse(until) - 60_000).toISOString(),
        until,
      })),
    };
    await this.publish(customerId, CUSTOMER_EVENT_TYPES.updated, state);
  }

  private state(customerId: string, options: CustomerOptions): CustomerStateV1 {
    return {
      customerId,
      customerNumber: `C${customerId.slice(0, 8)}`,
      kind: 'person',
      language: options.language ?? 'fi',
      activeContract: options.activeContract ?? false,
      contactPoints: this.contactPoints(options.emails ?? [], options.phones ?? []),
      listing: { name: 'Test Person' },
      since: new Date().toISOString(),
    };
  }

  /** Returns the event so a test can deliver it again. */
  async erased(customerId: string, options: { emails?: string[]; phones?: string[] } = {}): Promise<unknown> {
    const data: CustomerErasedV1 = {
      customerId,
      contactPoints: this.contactPoints(options.emails ?? [], options.phones ?? []),
      erasedAt: new Date().toISOString(),
    };
    return this.publish(customerId, CUSTOMER_EVENT_TYPES.erased, data);
  }

  /** Delivers an already published event once more (at-least-once delivery). */
  async redeliver(event: unknown): Promise<void> {
    const e = event as { subject: string };
    await this.send(e.subject, e);
  }

  private async publish(customerId: string, type: string, data: object): Promise<unknown> {
    const sequence = (this.sequences.get(customerId) ?? 0) + 1;
    this.sequences.set(customerId, sequence);
    const event = cloudEvent({ service: 'customers', type, subject: customerId, sequence, data });
    await this.send(customerId, event);
    return event;
  }

  private async send(key: string, event: unknown): Promise<void> {
    const kafka = this.app.app.get(KafkaService);
    await kafka.producer.send({
      topic: kafka.topic(TOPICS.customers),
      acks: -1,
      messages: [{ key, value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json' } }],
    });
  }
}
