import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One audited call (a write, a denied call, a read of clear identity codes): who, when, where, on what, with which
 * outcome. Never personal data values. `actor` is `anonymous` and `role` `none` for a call without a valid key.
 */
@Schema({ collection: 'audit', versionKey: false })
export class AuditRecord {
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) at!: Date;
  @Prop({ required: true }) actor!: string;
  /** A signed-in person's display name (`name` claim) when the provider gives one; `actor` is `oidc:<sub>`. */
  @Prop() actorName?: string;
  @Prop({ required: true }) role!: string;
  @Prop({ required: true }) service!: string;
  @Prop({ required: true }) method!: string;
  /** The route pattern (`/v1/customers/:id`), never the concrete URL (it could hold identifiers). */
  @Prop({ required: true }) route!: string;
  /** The path parameters that identify the target (ids, never e-mail addresses or phone numbers). */
  @Prop({ type: Object }) target?: Record<string, string>;
  @Prop({ required: true }) status!: number;
  @Prop({ required: true }) outcome!: 'success' | 'rejected' | 'failed';
  @Prop() requestId?: string;
}

export const AuditRecordSchema = SchemaFactory.createForClass(AuditRecord);
// GET /v1/audit: newest first, optionally by actor
AuditRecordSchema.index({ at: -1 });
AuditRecordSchema.index({ actor: 1, at: -1 });
