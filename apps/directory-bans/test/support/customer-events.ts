import { createHmac, randomUUID } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import {
  cloudEvent,
  CUSTOMER_EVENT_TYPES,
  CustomerErasedV1,
  CustomerStateV1,
  DirectoryListingV1,
  normalisePhone,
  TOPICS,
} from '@kielto/contracts';
import { PARTNER_HASH_KEY } from '../../../../test/support/stack';

/** HMAC-SHA256 hex of the normalised phone number with the test partner hash key, as IdentifierHasher does. */
export function phoneHash(phone: string): string {
  const normalised = normalisePhone(phone);
  if (normalised === null) throw new Error(`not a valid phone number: ${phone}`);
  return createHmac('sha256', Buffer.from(PARTNER_HASH_KEY, 'utf8')).update(normalised, 'utf8').digest('hex');
}

export interface TestCustomer {
  customerId: string;
  customerNumber: string;
  listing: DirectoryListingV1;
}

/** A customer with a complete listing; ids are lower-case UUIDs like the customers service's. */
export function testCustomer(n: number, overrides: Partial<DirectoryListingV1> = {}): TestCustomer {
  const phone = `+35840${String(1_000_000 + ((n * 7919) % 9_000_000)).padStart(7, '0')}`;
  return {
    customerId: randomUUID(),
    customerNumber: String(2_000_000 + n),
    listing: {
      name: `Testi Asiakas ${n}`,
      phone,
      address: { street: `Testikatu ${n}`, postalCode: '00100', city: 'Helsinki', country: 'FI' },
      ...overrides,
    },
  };
}

/**
 * Publishes customer events to the stack's customers topic exactly as the customers service would: structured
 * CloudEvents keyed by customer id, each carrying the customer's full state and a per-customer sequence.
 */
export class CustomerEventsPublisher {
  private readonly producer: Producer;

  constructor(private readonly topicPrefix: string) {
    const kafka = new Kafka({
      clientId: 'directory-bans-e2e',
      brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
      logLevel: logLevel.NOTHING,
    });
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  state(
    customer: TestCustomer,
    options: { restrictedSince?: string; activeContract?: boolean; relationshipEndedAt?: string } = {},
  ): CustomerStateV1 {
    const phone = customer.listing.phone;
    return {
      customerId: customer.customerId,
      customerNumber: customer.customerNumber,
      kind: 'person',
      language: 'fi',
      activeContract: options.activeContract ?? true,
      ...(options.relationshipEndedAt ? { relationshipEndedAt: options.relationshipEndedAt } : {}),
      contactPoints: phone ? [{ kind: 'phone', hash: phoneHash(phone), owner: 'own' }] : [],
      listing: customer.listing,
      ...(options.restrictedSince ? { restrictedSince: options.restrictedSince } : {}),
      since: '2024-05-01T08:00:00.000Z',
    };
  }

  async publish(
    customerId: string,
    type: string,
    sequence: number,
    data: CustomerStateV1 | CustomerErasedV1,
  ): Promise<void> {
    const event = cloudEvent({ service: 'customers', type, subject: customerId, sequence, data });
    await this.producer.send({
      topic: `${this.topicPrefix}.${TOPICS.customers}`,
      acks: -1,
      messages: [
        { key: customerId, value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json' } },
      ],
    });
  }

  created(customer: TestCustomer, sequence = 1): Promise<void> {
    return this.publish(customer.customerId, CUSTOMER_EVENT_TYPES.created, sequence, this.state(customer));
  }

  restricted(customer: TestCustomer, sequence: number): Promise<void> {
    const state = this.state(customer, { restrictedSince: new Date().toISOString() });
    return this.publish(customer.customerId, CUSTOMER_EVENT_TYPES.restricted, sequence, state);
  }

  restrictionLifted(customer: TestCustomer, sequence: number): Promise<void> {
    return this.publish(customer.customerId, CUSTOMER_EVENT_TYPES.restrictionLifted, sequence, this.state(customer));
  }

  erased(customer: TestCustomer, sequence: number): Promise<void> {
    const data: CustomerErasedV1 = {
      customerId: customer.customerId,
      contactPoints: this.state(customer).contactPoints,
      erasedAt: new Date().toISOString(),
    };
    return this.publish(customer.customerId, CUSTOMER_EVENT_TYPES.erased, sequence, data);
  }
}
