import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { DeskRequest, TrailEntry } from '../desk-request';

/**
 * One version of a data-subject request: `_id` `<requestId>:<version>`. A change inserts the next version, so two
 * concurrent changes of one request cannot both win (the unique `_id` decides; FerretDB has no atomic update of a
 * document). A request has at most three versions, all read by `_id`. The list of requests reads the collection:
 * the desk holds what a register gets in requests, hundreds a year, not millions.
 */
@Schema({ collection: 'dsr_requests', versionKey: false })
export class DeskRequestDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) requestId!: string;
  @Prop({ required: true }) version!: number;
  @Prop({ type: Object, required: true }) state!: DeskRequest;
}
export const DeskRequestDocSchema = SchemaFactory.createForClass(DeskRequestDoc);

/** One entry of a request's trail: `_id` `<requestId>#<n>`, inserted at the first free n (read by `_id`). */
@Schema({ collection: 'dsr_trail', versionKey: false })
export class TrailDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ type: Object, required: true }) entry!: TrailEntry;
}
export const TrailDocSchema = SchemaFactory.createForClass(TrailDoc);
