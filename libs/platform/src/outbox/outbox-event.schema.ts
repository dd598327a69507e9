import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The service's event log, which is also its transactional outbox. Appending an event is a single-document
 * insert guarded by the unique (topic, aggregateId, sequence) index, so concurrent writers of one aggregate
 * get a definite order without multi-document transactions (FerretDB has none). `pending` stays set until
 * the relay has published the event.
 */
@Schema({ collection: 'outbox', versionKey: false })
export class OutboxEvent {
  /** The CloudEvent id. */
  @Prop({ type: String, required: true })
  _id!: string;

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

  @Prop()
  pending?: boolean;

  @Prop()
  publishedAt?: Date;
}

export const OutboxEventSchema = SchemaFactory.createForClass(OutboxEvent);
// append: the next sequence of an aggregate, and the guard that makes concurrent appends take turns.
OutboxEventSchema.index({ topic: 1, aggregateId: 1, sequence: 1 }, { unique: true });
// relay: unpublished events, oldest first.
OutboxEventSchema.index({ pending: 1, time: 1 });
