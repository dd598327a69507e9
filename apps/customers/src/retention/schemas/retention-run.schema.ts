import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One run of the retention job. A scheduled run's `_id` is `scheduled:<start of its interval>`: the instance whose
 * insert wins runs it, so the job runs once per interval in the cluster (the unique `_id` is the lease; no
 * transactions). A manual run (`POST /v1/retention/run`) is `manual:<start>:<uuid>`. Only the winner updates its
 * document, once, when done.
 */
@Schema({ collection: 'retention_runs', versionKey: false })
export class RetentionRunDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) trigger!: 'scheduled' | 'manual';
  @Prop({ required: true }) instance!: string;
  @Prop({ required: true }) startedAt!: Date;
  @Prop() finishedAt?: Date;
  @Prop() erased?: number;
  @Prop() held?: number;
  @Prop() failed?: number;
}
export const RetentionRunDocSchema = SchemaFactory.createForClass(RetentionRunDoc);
