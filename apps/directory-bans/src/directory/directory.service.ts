import { Injectable } from '@nestjs/common';
import { DirectoryOutlet } from '@kielto/contracts';
import { BansRepository } from '../bans/bans.repository';
import { DirectoryBansEnv } from '../directory-bans.env';
import { ListingRepository } from '../listing/listing.repository';
import { compareIds, publishListing } from './publication';

/**
 * Characters of NDJSON per chunk handed to the socket. Kept well below V8's large-object threshold (128 KiB) so
 * that chunks die young in the new space instead of piling up as old garbage until a full collection.
 */
const CHUNK_CHARS = 32 * 1024;

/** The publishable directory: listings with bans applied, for one outlet. */
@Injectable()
export class DirectoryService {
  constructor(
    private readonly listings: ListingRepository,
    private readonly bans: BansRepository,
    private readonly env: DirectoryBansEnv,
  ) {}

  /**
   * The export as NDJSON chunks of about CHUNK_CHARS characters, produced only as fast as they are consumed.
   * Listings and active bans are read by two cursors in customer-id order and merge-joined, so memory stays flat
   * for any register size and each collection is read once (a `$in` lookup per chunk would rescan the whole bans
   * collection on FerretDB, which answers `$in` with a full scan; MongoDB would be fine either way).
   */
  async *export(outlet: DirectoryOutlet): AsyncGenerator<string> {
    const batchSize = this.env.DIRECTORY_EXPORT_BATCH_SIZE;
    const bans = this.bans.activeInIdOrder(batchSize);
    try {
      let ban = await bans.next();
      let chunk = '';
      for await (const listing of this.listings.publishableInIdOrder(batchSize)) {
        while (!ban.done && compareIds(ban.value.customerId, listing.customerId) < 0) ban = await bans.next();
        const own = !ban.done && ban.value.customerId === listing.customerId ? ban.value : undefined;
        const entry = publishListing(listing, own, outlet);
        if (entry) chunk += JSON.stringify(entry) + '\n';
        if (chunk.length >= CHUNK_CHARS) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk.length > 0) yield chunk;
    } finally {
      await bans.return(undefined);
    }
  }
}
