import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/*
 * The service's event log, which is also its transactional outbox, stored so that every access is by `_id` — the
 * one filter FerretDB v1 answers from an index (sqlite backend `collection.go`: a filter of exactly `{_id: <string>}`,
 * and in the build of scripts/infra.sh `{_id: {$in: [...]}}`; anything else, ranges on `_id` included, reads the
 * whole collection). Three collections:
 *
 *   event_log      one document per event, `_id` = `<topic>:<aggregateId>:<sequence>` (eventPosition). Appending is
 *                  a single insert: the unique `_id` decides which of two concurrent writers (in this process or
 *                  another instance) gets a sequence, without transactions. Sequences of an aggregate are
 *                  contiguous from its floor up, so a reader finds the newest by reading forward until one is missing.
 *   event_heads    one document per aggregate, `_id` = `<topic>:<aggregateId>`: a lower bound of its newest sequence
 *                  (a hint to start reading forward from, written now and then) and its floor (events below it were
 *                  erased). Both only ever name sequences that exist or existed, so a stale head costs reads, never
 *                  a wrong answer.
 *   event_pending  one marker per event not yet on Kafka, `_id` = the event id, inserted before the event and
 *                  deleted once Kafka has it: the sweep reads this collection, as small as the backlog, instead of
 *                  the log.
 *
 * Logs stored before (collection `outbox`, random `_id`s) are moved in at start (EventLog.migrateLegacyOutbox).
 */

/** One event. */
@Schema({ collection: 'event_log', versionKey: false })
export class OutboxEvent {
  /** `<topic>:<aggregateId>:<sequence>` (eventPosition). */
  @Prop({ type: String, required: true })
  _id!: string;

  /** The CloudEvent id (consumers deduplicate by it). */
  @Prop({ required: true })
  eventId!: string;

  @Prop({ required: true })
  topic!: string;

  @Prop({ required: true })
  aggregateId!: string;

  @Prop({ required: true })
  sequence!: number;

  @Prop({ required: true })
  type!: string;

  @Prop({ required: true })
  time!: Date;

  @Prop({ type: Object, required: true })
  data!: Record<string, unknown>;
}

export const OutboxEventSchema = SchemaFactory.createForClass(OutboxEvent);
// No secondary index: every read and write is by `_id`.

/** Where an aggregate's events start and (at least) end. */
@Schema({ collection: 'event_heads', versionKey: false })
export class EventHead {
  /** `<topic>:<aggregateId>` (aggregateKey). */
  @Prop({ type: String, required: true })
  _id!: string;

  /** A sequence the aggregate has reached (a lower bound of its newest). */
  @Prop()
  sequence?: number;

  /** Events below this sequence were deleted (erasure); absent: the log starts at 1. */
  @Prop()
  floor?: number;
}

export const EventHeadSchema = SchemaFactory.createForClass(EventHead);

/** An event stored and not yet on Kafka. */
@Schema({ collection: 'event_pending', versionKey: false })
export class PendingEvent {
  /** The event id. */
  @Prop({ type: String, required: true })
  _id!: string;

  /** The event's `_id` in event_log. */
  @Prop({ required: true })
  position!: string;

  @Prop({ required: true })
  at!: Date;
}

export const PendingEventSchema = SchemaFactory.createForClass(PendingEvent);
// sweep: pending events, oldest first (on MongoDB; FerretDB reads this small collection whole).
PendingEventSchema.index({ at: 1 });

export const aggregateKey = (topic: string, aggregateId: string): string => `${topic}:${aggregateId}`;
/** Topics contain no ':', and the sequence is the last part, so a position names one event of one aggregate. */
export const eventPosition = (topic: string, aggregateId: string, sequence: number): string =>
  `${aggregateKey(topic, aggregateId)}:${sequence}`;
