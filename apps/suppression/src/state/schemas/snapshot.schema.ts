import { Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Suppression's snapshots (see SnapshotRepository): per instance, a head document (`head:<instance>`) and the
 * compressed chunks it lists (`chunk:<instance>:<number>:<index>`). Only keyed hashes and flags, no clear PII.
 * The documents are written and read through the driver; the schema only names the collection.
 */
@Schema({ collection: 'snapshots', versionKey: false, strict: false })
export class SnapshotDoc {}
export const SnapshotDocSchema = SchemaFactory.createForClass(SnapshotDoc);
