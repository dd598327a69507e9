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
  /** Whose personal data a read returned (customer ids, `email:<hash>`, `phone:<hash>`); see subject_reads. */
  @Prop({ type: [String], default: undefined }) subjects?: string[];
  /** Subjects beyond the first MAX_SUBJECTS_PER_READ of a read (a long page of a list). */
  @Prop() subjectsOmitted?: number;
  /** What a bulk write did, as the handler summarised it (counts and content hashes only, never personal data). */
  @Prop({ type: Object }) details?: Record<string, string | number>;
  @Prop({ required: true }) status!: number;
  @Prop({ required: true }) outcome!: 'success' | 'rejected' | 'failed';
  @Prop() requestId?: string;
}

export const AuditRecordSchema = SchemaFactory.createForClass(AuditRecord);
// GET /v1/audit: newest first, optionally by actor
AuditRecordSchema.index({ at: -1 });
AuditRecordSchema.index({ actor: 1, at: -1 });

/** One read of a subject's personal data, as kept in the subject's pages (the general record has the rest). */
export interface SubjectRead {
  /** `_id` of the AuditRecord of the same call. */
  recordId: string;
  at: Date;
  actor: string;
  actorName?: string;
  role: string;
  method: string;
  route: string;
  requestId?: string;
}

/**
 * "Who read this person's data" by `_id` only (FerretDB v1 answers nothing else from an index): the reads of a
 * subject are pages `<subject>#<n>`, n = 1, 2, … contiguous, each written once by one insert holding the reads of
 * that subject in one flush of the audit queue. The unique `_id` decides between two instances appending at once
 * (the loser takes the next number); a reader finds the newest page by reading forward from a hint until one is
 * missing. `subject_read_heads` keeps such a hint per subject (`_id` = subject): a lower bound, never ahead.
 */
@Schema({ collection: 'subject_reads', versionKey: false })
export class SubjectReadPage {
  /** `<subject>#<n>` (subjectPageId). */
  @Prop({ type: String, required: true }) _id!: string;
  @Prop({ required: true }) subject!: string;
  @Prop({ required: true }) page!: number;
  @Prop({ type: [Object], required: true }) reads!: SubjectRead[];
}

export const SubjectReadPageSchema = SchemaFactory.createForClass(SubjectReadPage);
// No secondary index: every read and write is by `_id`.

@Schema({ collection: 'subject_read_heads', versionKey: false })
export class SubjectReadHead {
  /** The subject. */
  @Prop({ type: String, required: true }) _id!: string;
  /** A page number that exists (a lower bound of the newest). */
  @Prop({ required: true }) page!: number;
}

export const SubjectReadHeadSchema = SchemaFactory.createForClass(SubjectReadHead);

export const subjectPageId = (subject: string, page: number) => `${subject}#${page}`;
