import { CloudEventV1 } from '../cloud-event';
import { PARTNER_HIDDEN_REASONS, PARTNER_OPT_OUT, REASON_CODES } from '../enums';
import {
  CONSENT_EVENT_TYPES,
  ConsentLedgerErasedV1,
  ConsentRecordedV1,
  CUSTOMER_EVENT_TYPES,
  CustomerErasedV1,
  CustomerStateV1,
  DIRECTORY_BAN_EVENT_TYPES,
  DirectoryBanLiftedV1,
  DirectoryBanSetV1,
  RegisterChangedV1,
  SUPPRESSION_ENTRIES_TOPIC,
  SUPPRESSION_ENTRY_EVENT_TYPES,
  SuppressionEntriesImportedV1,
  SuppressionEntryAddedV1,
  SuppressionEntryRemovedV1,
} from '../events';
import { SUPPRESSION_FEED_TYPE } from '../feed';
import { TOPICS } from '../topics';
import { EVENT_EXAMPLES, FEED_EXAMPLE } from './examples';
import { JsonSchema, JsonSchemaRegistry } from './json-schema';

/** How a topic is configured (the platform's TOPIC_SPECS are passed in, so the document shows what is created). */
export interface TopicSpec {
  name: string;
  partitions: number;
  config: Record<string, string>;
}

export interface AsyncApiOptions {
  /** The topics as the services create them. */
  topics: ReadonlyArray<TopicSpec>;
  /** Bootstrap servers shown in the document, e.g. `kafka:9092`. */
  brokers?: string[];
  /** KAFKA_TOPIC_PREFIX of this deployment (empty in production). */
  topicPrefix?: string;
  /** Version of the document (the services' version). */
  version?: string;
}

type Service = 'customers' | 'consents' | 'directory-bans' | 'suppression';

interface EventMessage {
  id: string;
  type: string;
  payload: new () => object;
  summary: string;
}

interface ChannelDef {
  id: string;
  topic: string;
  title: string;
  description: string;
  key: JsonSchema;
  producers: Service[];
  consumers: { service: Service | 'partner'; group: string }[];
  /** CloudEvents messages; absent for the partner feed and the DLQ, which are described by hand. */
  events?: EventMessage[];
  internal?: boolean;
  /** How the producers write it, when not through their transactional outbox. */
  sendSummary?: string;
}

/** Property and class descriptions that the JSON Schemas carry (class-validator metadata has no comments). */
const DESCRIPTIONS: Record<string, string> = {
  CloudEventV1:
    'CloudEvents 1.0 envelope, structured JSON mode. Consumers must ignore attributes and fields they do not know.',
  'CloudEventV1.id': 'Globally unique event id: consumers deduplicate on it (delivery is at-least-once).',
  'CloudEventV1.source': '`/kielto/<service>`',
  'CloudEventV1.type': 'Event type, versioned (`fi.kielto.<aggregate>.<event>.v<n>`).',
  'CloudEventV1.subject': 'The aggregate id; equal to the Kafka message key.',
  'CloudEventV1.sequence':
    "Position of the event in its aggregate's history, from 1, without gaps. Apply an event only if its sequence is newer than what you hold.",
  'CloudEventV1.data': 'The payload of the event type.',
  CustomerStateV1:
    'The complete current state of a customer (event-carried state transfer): the newest event of a key is enough.',
  'CustomerStateV1.contactPoints':
    'E-mail addresses and phone numbers as keyed hashes (HMAC-SHA256 hex), never in clear.',
  'CustomerStateV1.listing': 'What directory outlets may publish before bans are applied (R9).',
  'CustomerStateV1.postalHash':
    "Keyed hash (HMAC-SHA256 hex) of `post:` and the customer's normalised name and address, for postal checks (§3.9).",
  'CustomerStateV1.restrictedSince': 'Present while processing is restricted (GDPR Art 18): no marketing at all.',
  CustomerErasedV1: 'After erasure only keyed hashes remain, so that opt-outs keep being honoured (R8).',
  ContactPointHashV1: 'An identifier as HMAC-SHA256 (hex) of its normalised value with the partner hash key.',
  ConsentSubjectV1: 'Whom a ledger entry is about: a customer id, or the keyed hash of a bare e-mail/phone.',
  ConsentEvidenceV1: 'Proof of the decision (GDPR Art 7(1)); never identifiers in clear.',
  ConsentRecordedV1: "One entry of a subject's consent/prohibition ledger.",
  ConsentLedgerErasedV1:
    "The subject's ledger was deleted (customer erased, or a bare identifier erased): drop every entry of the subject below this event's sequence.",
  'ConsentLedgerErasedV1.tombstone':
    "The identifier's ledger was erased (a bare identifier, or an identifier of an erased customer, held now or before, that no other customer holds or held): keep its keyed hash as an erasure tombstone (R8), which suppresses it until a grant recorded after erasedAt.",
  DirectoryBanSetV1: "A customer's directory-publication ban as it stands from now on (replaces the previous one).",
  DirectoryBanLiftedV1: "The customer's directory-publication ban was lifted.",
  SuppressionEntryV1: 'A staff entry (bounce, complaint, robinson, manual); the identifier only as its keyed hash.',
  SuppressionEntriesImportedV1: 'One chunk (≤ 1000 entries) of a bulk import.',
  RegisterChangedV1:
    'Rows added to and removed from an outside register by a snapshot, as keyed hashes (44 base64 characters each, concatenated); the last part carries the summary and makes registerDate the register date.',
};

const HASH_KEY: JsonSchema = {
  type: 'string',
  pattern: '^[0-9a-f]{64}$',
  description: 'HMAC-SHA256 (lower-case hex) of the normalised identifier with KIELTO_PARTNER_HASH_KEY',
};

const CHANNELS: ChannelDef[] = [
  {
    id: 'customers',
    topic: TOPICS.customers,
    title: 'Customer changes',
    description:
      'Every change of a customer as an event carrying the complete current state. Key = customer id; ordered per ' +
      'customer (one partition per key). Compacted: only the newest event of each customer is kept, so erased ' +
      'personal data does not linger in the log.',
    key: { type: 'string', minLength: 1, description: 'The customer id (same as the CloudEvents subject)' },
    producers: ['customers'],
    consumers: [
      { service: 'consents', group: 'kielto-consents' },
      { service: 'directory-bans', group: 'kielto-directory-bans' },
      { service: 'suppression', group: 'kielto-suppression-<instance>' },
    ],
    events: [
      {
        id: 'customerCreated',
        type: CUSTOMER_EVENT_TYPES.created,
        payload: CustomerStateV1,
        summary: 'A customer was created',
      },
      {
        id: 'customerUpdated',
        type: CUSTOMER_EVENT_TYPES.updated,
        payload: CustomerStateV1,
        summary: 'A customer was rectified',
      },
      {
        id: 'customerRestricted',
        type: CUSTOMER_EVENT_TYPES.restricted,
        payload: CustomerStateV1,
        summary: 'Processing was restricted (GDPR Art 18): no marketing',
      },
      {
        id: 'customerRestrictionLifted',
        type: CUSTOMER_EVENT_TYPES.restrictionLifted,
        payload: CustomerStateV1,
        summary: 'The restriction of processing was lifted',
      },
      {
        id: 'customerErased',
        type: CUSTOMER_EVENT_TYPES.erased,
        payload: CustomerErasedV1,
        summary: 'The customer was erased; only keyed hashes remain (R8)',
      },
    ],
  },
  {
    id: 'consents',
    topic: TOPICS.consents,
    title: 'Consent and prohibition ledger',
    description:
      "Append-only ledger of marketing permissions and prohibitions. Key = `<type>:<key>` of the entry's subject " +
      '(`customer:<id>`, `email:<hash>`, `phone:<hash>`); ordered per subject. NOT compacted (cleanup.policy=delete, ' +
      'unlimited retention): every entry counts (latest-wins per channel and purpose), so none may be dropped.',
    key: {
      type: 'string',
      pattern: '^(customer|email|phone):[A-Za-z0-9_-]+$',
      description: 'The subject key, `<type>:<customer id or identifier hash>`',
    },
    producers: ['consents'],
    consumers: [{ service: 'suppression', group: 'kielto-suppression-<instance>' }],
    events: [
      {
        id: 'consentRecorded',
        type: CONSENT_EVENT_TYPES.recorded,
        payload: ConsentRecordedV1,
        summary: 'A grant, withdrawal, prohibition or lifted prohibition was recorded',
      },
      {
        id: 'consentLedgerErased',
        type: CONSENT_EVENT_TYPES.erased,
        payload: ConsentLedgerErasedV1,
        summary: "A subject's ledger was erased (customer erasure)",
      },
    ],
  },
  {
    id: 'directoryBans',
    topic: TOPICS.directoryBans,
    title: 'Directory-publication bans',
    description:
      'Directory-publication bans (R9). Key = customer id; ordered per customer. Compacted: the newest `set` or ' +
      '`lifted` of each customer is its current ban.',
    key: { type: 'string', minLength: 1, description: 'The customer id' },
    producers: ['directory-bans'],
    consumers: [{ service: 'suppression', group: 'kielto-suppression-<instance>' }],
    events: [
      {
        id: 'directoryBanSet',
        type: DIRECTORY_BAN_EVENT_TYPES.set,
        payload: DirectoryBanSetV1,
        summary: 'A ban was set or changed',
      },
      {
        id: 'directoryBanLifted',
        type: DIRECTORY_BAN_EVENT_TYPES.lifted,
        payload: DirectoryBanLiftedV1,
        summary: 'A ban was lifted',
      },
    ],
  },
  {
    id: 'suppression',
    topic: TOPICS.suppression,
    title: 'Partner suppression feed',
    description:
      'The hashed suppression list for partners. Key = HMAC-SHA256 (hex) of the normalised identifier (e-mail ' +
      'trimmed and lower-cased; phone in E.164, FI default region) with the shared KIELTO_PARTNER_HASH_KEY. Value = ' +
      'the current explicit suppressions of that identifier (not CloudEvents: a plain JSON document), or a tombstone ' +
      '(null value) when nothing is suppressed any more. Ordered per key. Compacted: read it from the beginning to ' +
      'get the full current list; apply values and tombstones in order. No personal data besides the key.',
    key: HASH_KEY,
    producers: ['suppression'],
    sendSummary:
      'suppression publishes the new value of every identifier whose suppressions changed, before it commits the ' +
      'source offsets (at-least-once; values are deterministic, so duplicates are harmless)',
    consumers: [{ service: 'partner', group: '<partner-chosen>' }],
  },
  {
    id: 'suppressionEntries',
    topic: SUPPRESSION_ENTRIES_TOPIC,
    title: 'Staff suppression entries (internal)',
    description:
      'Internal to the suppression service, not part of the public contract: staff entries (bounce, complaint, ' +
      'robinson, manual) and the changes of the outside registers, so that every suppression instance holds the same ' +
      'list and an empty store can be rebuilt. Key = entry id (single entries), import id (bulk imports, one event ' +
      'per chunk) or register:<name> (register snapshots). Kept forever, not compacted.',
    key: { type: 'string', minLength: 1, description: 'The entry id, or the import id of a bulk import' },
    producers: ['suppression'],
    consumers: [{ service: 'suppression', group: 'kielto-suppression-<instance>' }],
    internal: true,
    events: [
      {
        id: 'suppressionEntryAdded',
        type: SUPPRESSION_ENTRY_EVENT_TYPES.added,
        payload: SuppressionEntryAddedV1,
        summary: 'A staff entry was added',
      },
      {
        id: 'suppressionEntriesImported',
        type: SUPPRESSION_ENTRY_EVENT_TYPES.imported,
        payload: SuppressionEntriesImportedV1,
        summary: 'A chunk of a bulk import',
      },
      {
        id: 'suppressionEntryRemoved',
        type: SUPPRESSION_ENTRY_EVENT_TYPES.removed,
        payload: SuppressionEntryRemovedV1,
        summary: 'A staff entry was removed',
      },
      {
        id: 'registerChanged',
        type: SUPPRESSION_ENTRY_EVENT_TYPES.registerChanged,
        payload: RegisterChangedV1,
        summary:
          "A part of an outside register snapshot's difference (asml-phone, asml-post; this project's extension): " +
          'keyed hashes only, applied in sequence order per register (key register:<name>)',
      },
    ],
  },
  {
    id: 'deadLetters',
    topic: TOPICS.dlq,
    title: 'Dead letters',
    description:
      'Messages a consumer could not accept (not JSON, unknown type, invalid envelope or payload): the original key ' +
      'and value, with the reason and origin in `kielto-dlq-*` headers. Kept 30 days. Operators inspect and replay ' +
      'from here; the consumer has moved on.',
    key: { type: ['string', 'null'], description: 'The original message key' },
    // Every consuming service dead-letters what it cannot accept.
    producers: ['consents', 'directory-bans', 'suppression'],
    sendSummary: 'A consumer sends each message it cannot accept here, with the reason, and moves on',
    consumers: [],
  },
];

const cloudEventHeaders: JsonSchema = {
  type: 'object',
  properties: {
    'content-type': { type: 'string', const: 'application/cloudevents+json' },
    'ce-type': {
      type: 'string',
      description: 'The event type (same as the envelope `type`), for routing without parsing',
    },
  },
};

const feedValueSchema: JsonSchema = {
  type: 'object',
  description: 'The current explicit suppressions of one identifier.',
  required: ['specversion', 'type', 'kind', 'suppressions', 'updatedAt'],
  properties: {
    specversion: { type: 'string', const: '1.0' },
    type: { type: 'string', const: SUPPRESSION_FEED_TYPE },
    kind: { type: 'string', enum: ['email', 'phone'], description: 'What the key is the hash of' },
    suppressions: {
      type: 'array',
      minItems: 1,
      description:
        'Explicit opt-outs only (never `no-consent` or `consent-expired`, which are the absence of a permission). ' +
        '`channel`/`purpose` are `all` when a suppression applies to every channel/purpose. Partners never learn ' +
        'which data-subject right was used: an erasure or a restriction of processing is `opt-out` (R11).',
      items: {
        type: 'object',
        required: ['code', 'channel', 'purpose', 'since'],
        properties: {
          code: {
            type: 'string',
            enum: [
              PARTNER_OPT_OUT,
              ...REASON_CODES.filter((c) => !(PARTNER_HIDDEN_REASONS as readonly string[]).includes(c)),
            ],
          },
          channel: { type: 'string', enum: ['email', 'sms', 'phone', 'post', 'all'] },
          purpose: {
            type: 'string',
            enum: ['own-marketing', 'partner-marketing', 'profiling', 'market-research', 'all'],
          },
          since: { type: 'string', format: 'date-time' },
        },
      },
    },
    updatedAt: {
      type: 'string',
      format: 'date-time',
      description: 'The newest `since` of the suppressions (deterministic: replays write identical values)',
    },
  },
};

const dlqHeaders: JsonSchema = {
  type: 'object',
  required: [
    'kielto-dlq-reason',
    'kielto-dlq-topic',
    'kielto-dlq-partition',
    'kielto-dlq-offset',
    'kielto-dlq-consumer',
  ],
  properties: {
    'kielto-dlq-reason': {
      type: 'string',
      description: 'Why it was rejected (field and constraint names, never values)',
    },
    'kielto-dlq-topic': { type: 'string' },
    'kielto-dlq-partition': { type: 'string' },
    'kielto-dlq-offset': { type: 'string' },
    'kielto-dlq-consumer': { type: 'string', description: 'The consumer group that rejected it' },
  },
};

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const cleanupPolicy = (spec: TopicSpec | undefined) =>
  (spec?.config['cleanup.policy'] ?? 'delete').split(',').map((p) => p.trim()) as ('compact' | 'delete')[];

/**
 * The AsyncAPI 3.0 document of every kielto topic: channels with their Kafka topic, partitions and
 * cleanup policy, message keys, CloudEvents envelopes with payload schemas derived from the contract classes,
 * examples, and which service sends and receives what. One document for the whole system; each service serves it
 * at `/docs/asyncapi.json`.
 */
export function buildAsyncApiDocument(options: AsyncApiOptions): Record<string, unknown> {
  const prefix = options.topicPrefix ?? '';
  const registry = new JsonSchemaRegistry(DESCRIPTIONS);
  const envelopeRef = registry.ref(CloudEventV1);
  const specs = new Map(options.topics.map((t) => [t.name, t]));
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas = registry.schemas;
  schemas.SuppressionFeedValueV1 = feedValueSchema;

  for (const channel of CHANNELS) {
    const spec = specs.get(channel.topic);
    const policy = cleanupPolicy(spec);
    const channelMessages: Record<string, unknown> = {};
    const keyBinding = { kafka: { key: channel.key, bindingVersion: '0.5.0' } };
    if (channel.events) {
      for (const event of channel.events) {
        // Several types share a payload class; each message has its own envelope schema fixing its `type`.
        const envelopeName = `${event.id}Envelope`;
        schemas[envelopeName] = {
          allOf: [
            envelopeRef,
            {
              type: 'object',
              properties: { type: { type: 'string', const: event.type }, data: registry.ref(event.payload) },
            },
          ],
        };
        const example = EVENT_EXAMPLES[event.type];
        messages[event.id] = {
          name: event.type,
          title: event.summary,
          summary: event.summary,
          contentType: 'application/cloudevents+json',
          headers: cloudEventHeaders,
          payload: { $ref: `#/components/schemas/${envelopeName}` },
          correlationId: { description: 'The aggregate id', location: '$message.payload#/subject' },
          bindings: keyBinding,
          ...(example
            ? {
                examples: [
                  {
                    name: camel(event.id),
                    headers: { 'content-type': 'application/cloudevents+json', 'ce-type': event.type },
                    payload: example,
                  },
                ],
              }
            : {}),
        };
        channelMessages[event.id] = { $ref: `#/components/messages/${event.id}` };
      }
    } else if (channel.id === 'suppression') {
      messages.suppressionCurrent = {
        name: SUPPRESSION_FEED_TYPE,
        title: 'Current suppressions of an identifier (or a tombstone)',
        summary: 'Value = the current suppressions; a null value (tombstone) = nothing suppressed any more',
        contentType: 'application/json',
        payload: { oneOf: [{ $ref: '#/components/schemas/SuppressionFeedValueV1' }, { type: 'null' }] },
        bindings: keyBinding,
        examples: [
          { name: 'suppressed', summary: 'An e-mail address that objected to all marketing', payload: FEED_EXAMPLE },
          { name: 'tombstone', summary: 'Nothing is suppressed for this identifier any more', payload: null },
        ],
      };
      channelMessages.suppressionCurrent = { $ref: '#/components/messages/suppressionCurrent' };
    } else {
      messages.deadLetter = {
        name: 'dead-letter',
        title: 'A rejected message',
        summary: 'The original bytes of a message a consumer could not accept',
        contentType: 'application/octet-stream',
        headers: dlqHeaders,
        payload: { description: 'The original value, unchanged (may be anything, even invalid JSON)' },
        bindings: keyBinding,
      };
      channelMessages.deadLetter = { $ref: '#/components/messages/deadLetter' };
    }

    channels[channel.id] = {
      address: prefix + channel.topic,
      title: channel.title,
      description: channel.description,
      messages: channelMessages,
      ...(channel.internal ? { 'x-kielto-internal': true } : {}),
      'x-kielto-key': channel.key.description,
      'x-kielto-ordering': 'per key (one partition per key); every event of an aggregate carries a gapless sequence',
      'x-kielto-compacted': policy.includes('compact'),
      bindings: {
        kafka: {
          topic: prefix + channel.topic,
          ...(spec ? { partitions: spec.partitions } : {}),
          topicConfiguration: {
            'cleanup.policy': policy,
            ...(spec?.config['retention.ms'] ? { 'retention.ms': Number(spec.config['retention.ms']) } : {}),
          },
          bindingVersion: '0.5.0',
        },
      },
    };

    const refs = Object.keys(channelMessages).map((m) => ({ $ref: `#/channels/${channel.id}/messages/${m}` }));
    for (const producer of channel.producers) {
      operations[`${camel(producer)}Sends${channel.id[0].toUpperCase()}${channel.id.slice(1)}`] = {
        action: 'send',
        channel: { $ref: `#/channels/${channel.id}` },
        title: `${producer} publishes to ${channel.topic}`,
        summary:
          channel.sendSummary ??
          `${producer} publishes through its transactional outbox, right after each write (at-least-once)`,
        messages: refs,
      };
    }
    for (const consumer of channel.consumers) {
      operations[`${camel(consumer.service)}Receives${channel.id[0].toUpperCase()}${channel.id.slice(1)}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${channel.id}` },
        title: `${consumer.service} consumes ${channel.topic}`,
        summary:
          consumer.service === 'partner'
            ? 'A partner keeps a local hashed suppression set (see examples/partner-consumer)'
            : `${consumer.service} validates every event (malformed → ${TOPICS.dlq}), deduplicates by id and applies by sequence`,
        messages: refs,
        bindings: { kafka: { groupId: { type: 'string', const: prefix + consumer.group }, bindingVersion: '0.5.0' } },
      };
    }
  }

  const brokers = options.brokers?.length ? options.brokers : ['localhost:9092'];
  return {
    asyncapi: '3.0.0',
    id: 'urn:fi:kielto:events',
    info: {
      title: 'kielto events',
      version: options.version ?? '1.0.0',
      description:
        'Kafka topics of kielto, the marketing-consent and suppression platform. Service topics carry CloudEvents ' +
        '1.0 in structured JSON mode, keyed by aggregate id, one topic per aggregate type, ordered per key; each ' +
        'event has a per-aggregate `sequence`. Delivery is at-least-once: consumers deduplicate by event id and apply ' +
        'events of an aggregate in sequence order. Identifiers (e-mail, phone) only ever appear as HMAC-SHA256 hashes. ' +
        'Topics are created by the services at start-up; auto-creation is never relied on.' +
        (prefix ? ` Topic prefix of this deployment: \`${prefix}\`.` : ''),
      license: { name: 'UNLICENSED' },
      tags: [{ name: 'kafka' }, { name: 'cloudevents' }],
    },
    defaultContentType: 'application/cloudevents+json',
    servers: Object.fromEntries(
      brokers.map((b, i) => [
        `broker${i + 1}`,
        { host: b, protocol: 'kafka', description: 'Kafka bootstrap server (TLS/SASL per KAFKA_SECURITY)' },
      ]),
    ),
    channels,
    operations,
    components: { messages, schemas },
  };
}
