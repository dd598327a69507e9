import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * "Unsubscribe links of this subject made at or before `revokedBefore` no longer work": one document per subject,
 * keyed by the ledger subject key (`customer:<id>`, `email:<hash>`, `phone:<hash>`) so that the check a link
 * makes on every use is a lookup by `_id` (FerretDB v1 scans the whole collection for any other query).
 */
@Schema({ collection: 'unsubscribe_link_revocations', versionKey: false })
export class LinkRevocationDoc {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true })
  revokedBefore!: Date;

  /** Key id of the staff member's API key, and the request, that revoked last. */
  @Prop({ required: true })
  revokedBy!: string;

  @Prop()
  requestId?: string;
}

export const LinkRevocationSchema = SchemaFactory.createForClass(LinkRevocationDoc);
// No secondary index: every query is by _id.
