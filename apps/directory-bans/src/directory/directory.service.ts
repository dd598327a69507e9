import { Injectable } from '@nestjs/common';
import { DirectoryOutlet } from '@kielto/contracts';
import { BansRepository } from '../bans/bans.repository';
import { DirectoryBansEnv } from '../directory-bans.env';
import { ListingRepository } from '../listing/listing.repository';
import { compareIds, publishListing } from './publication';

/** The publishable directory: listings with bans applied, for one outlet. */
@Injectable()
export class DirectoryService {
  constructor(
    private readonly listings: ListingRepository,
    private readonly bans: BansRepository,
    private readonly env: DirectoryBansEnv,
  ) {}

  /**
   * The export as NDJSON chunks of up to DIRECTORY_EXPORT_BATCH_SIZE lines, produced only as fast as they are
   * consumed. Listings and active bans are read by two cursors in customer-id order and merge-joined, so memory
   * stays flat for any register size and each collection is read once (a `$in` lookup per chunk would rescan the
   * bans on FerretDB, which cannot use an index for it; MongoDB would be fine either way).
   */
  async *export(outlet: DirectoryOutlet): AsyncGenerator<string> {
    const batchSize = this.env.DIRECTORY_EXPORT_BATCH_SIZE;
    const bans = this.bans.activeInIdOrder(batchSize);
    try {
      let ban = await bans.next();
      let lines: string[] = [];
      for await (const listing of this.listings.publishableInIdOrder(batchSize)) {
        while (!ban.done && compareIds(ban.value.customerId, listing.customerId) < 0) ban = await bans.next();
        const own = !ban.done && ban.value.customerId === listing.customerId ? ban.value : undefined;
        const entry = publishListing(listing, own, outlet);
        if (entry) lines.push(JSON.stringify(entry));
        if (lines.length >= batchSize) {
          yield lines.join('\n') + '\n';
          lines = [];
        }
      }
      if (lines.length > 0) yield lines.join('\n') + '\n';
    } finally {
      await bans.return(undefined);
    }
  }
}
