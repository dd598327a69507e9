import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** Persisted projections of suppression; loaded into memory at start-up. Only keyed hashes, no clear PII. */

@Schema({ collection: 'customers', versionKey: false })
export class CustomerDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) sequence!: number;
  @Prop({ required: true }) kind!: string;
  @Prop({ required: true }) since!: number;
  @Prop() restrictedSince?: number;
  @Prop() erasedAt?: number;
  @Prop({ type: [Object], default: [] }) contactPoints!: { kind: string; hash: string; owner: string }[];
}
export const CustomerDocSchema = SchemaFactory.createForClass(CustomerDoc);

/** _id = `<subjectKey>#<sequence>`, so a redelivered entry is a no-op upsert. */
@Schema({ collection: 'ledger', versionKey: false })
export class LedgerDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) subjectKey!: string;
  @Prop({ required: true }) sequence!: number;
  @Prop({ required: true }) channel!: string;
  @Prop({ required: true }) purpose!: string;
  @Prop({ required: true }) decision!: string;
  @Prop({ required: true }) at!: number;
  @Prop() expiresAt?: number;
}
export const LedgerDocSchema = SchemaFactory.createForClass(LedgerDoc);
// erasure of a subject's ledger: deleteMany by subjectKey
LedgerDocSchema.index({ subjectKey: 1 });

/**
 * Small facts that must survive a restart: ledger erasure floors (`floor:<subject key>`), erased identifiers
 * (`erased:<hash>`, R8) and removed staff entries (`removed:<entry id>`, so a redelivered addition stays removed).
 */
@Schema({ collection: 'markers', versionKey: false })
export class MarkerDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) type!: 'ledger-floor' | 'erased' | 'entry-removed';
  @Prop({ required: true }) value!: number;
}
export const MarkerDocSchema = SchemaFactory.createForClass(MarkerDoc);

@Schema({ collection: 'bans', versionKey: false })
export class BanDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) sequence!: number;
  @Prop() fullSince?: number;
}
export const BanDocSchema = SchemaFactory.createForClass(BanDoc);

@Schema({ collection: 'entries', versionKey: false })
export class StaffEntryDoc {
  @Prop({ type: String }) _id!: string;
  @Prop({ required: true }) hash!: string;
  @Prop({ required: true }) kind!: string;
  @Prop({ required: true }) reason!: string;
  @Prop({ required: true }) channel!: string;
  @Prop({ required: true }) since!: number;
  @Prop() createdBy?: string;
}
export const StaffEntryDocSchema = SchemaFactory.createForClass(StaffEntryDoc);
