import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** The audit record of a campaign clearance: who checked which input, when, and against which state. */
@Schema({ collection: 'clearances', versionKey: false })
export class ClearanceDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) campaignId!: string;
  @Prop({ required: true }) at!: Date;
  /** API key id of the caller. */
  @Prop({ required: true }) actor!: string;
  @Prop({ required: true }) channel!: string;
  @Prop({ required: true }) purpose!: string;
  /** The product marketed, when the campaign named one (R10). */
  @Prop({ type: String }) product?: string;
  @Prop({ required: true }) total!: number;
  @Prop({ required: true }) allowed!: number;
  @Prop({ required: true }) suppressed!: number;
  @Prop({ required: true }) inputSha256!: string;
  /** The watermark the answers were based on. */
  @Prop({ required: true }) asOf!: Date;
}
export const ClearanceDocSchema = SchemaFactory.createForClass(ClearanceDoc);
// GET /v1/campaigns/:campaignId/clearances: a campaign's clearances, newest first.
ClearanceDocSchema.index({ campaignId: 1, at: -1 });
