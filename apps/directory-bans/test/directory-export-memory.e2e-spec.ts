import { get } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mongoose from 'mongoose';
import { bearer, MONGODB_URI, startStack, Stack } from '../../../test/support/stack';

/*
 * The export streams: however big the register, the service holds one chunk of listings at a time. 100 000
 * publishable listings (plus restricted and fully banned ones that must not appear) are seeded straight into the
 * projection, the export is read through a plain HTTP client that keeps nothing, and the RSS of this process
 * (the service runs in the jest worker) is sampled every 250 ms while the export streams, each time after a full
 * garbage collection: what is measured is the memory the export holds, not garbage V8 has not yet chosen to collect
 * (without it, the same export measured anything from 13 to 193 MB of growth depending on when the collector ran).
 */

jest.setTimeout(600_000);

const LISTINGS = 100_000;
const CHUNK = 2_000;
const MAX_GROWTH_MB = 50;

/*
 * 103 000 listings are seeded; the special ones are spread over the whole id range and never overlap:
 * 2 000 fully banned (n % 50 = 1), 1 000 restricted (n % 100 = 3), every 20th with its address hidden.
 */
const SEEDED = LISTINGS + 3_000;
const fullyBanned = (n: number) => n < 100_000 && n % 50 === 1;
const restricted = (n: number) => n < 100_000 && n % 100 === 3;
const addressHidden = (n: number) => n % 20 === 0;

/** UUID-shaped ids that sort in creation order, so that listings and bans interleave through the whole export. */
const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
type Doc = Record<string, unknown> & { _id: string };
const MB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('directory export: memory stays flat for a large register', () => {
  let stack: Stack;
  let connection: mongoose.Connection;

  beforeAll(async () => {
    stack = await startStack(['directory-bans']);
    connection = await mongoose
      .createConnection(MONGODB_URI, { dbName: `${stack.prefix}-directory-bans`, retryWrites: false })
      .asPromise();
  });

  afterAll(async () => {
    await stack?.close();
    await connection?.dropDatabase();
    await connection?.close();
  });

  async function seed(): Promise<void> {
    const listings = connection.collection<Doc>('listings');
    const bans = connection.collection<Doc>('bans');
    const ban = {
      sequence: 1,
      active: true,
      outlets: [],
      since: '2025-01-01T00:00:00.000Z',
      setBy: 'staff-000000000000',
    };
    for (let from = 0; from < SEEDED; from += CHUNK) {
      const listingDocs: Doc[] = [];
      const banDocs: Doc[] = [];
      for (let n = from; n < Math.min(from + CHUNK, SEEDED); n++) {
        listingDocs.push({
          _id: id(n),
          sequence: 1,
          publishable: !restricted(n),
          customerNumber: String(3_000_000 + n),
          name: `Asiakas ${n}`,
          phone: `+35840${String(1_000_000 + n).padStart(7, '0')}`,
          address: { street: `Testikatu ${n % 500}`, postalCode: '00100', city: 'Helsinki', country: 'FI' },
        });
        if (fullyBanned(n)) banDocs.push({ _id: id(n), scope: 'full', hiddenFields: [], ...ban });
        if (addressHidden(n)) banDocs.push({ _id: id(n), scope: 'partial', hiddenFields: ['address'], ...ban });
      }
      await listings.insertMany(listingDocs, { ordered: false });
      if (banDocs.length > 0) await bans.insertMany(banDocs, { ordered: false });
    }
    // A lifted ban of a listed customer, and a ban of a customer without a listing, change nothing.
    await bans.insertMany([
      { _id: id(7), sequence: 2, active: false, liftedAt: '2025-02-01T00:00:00.000Z' },
      { _id: id(SEEDED + 1), scope: 'full', hiddenFields: [], ...ban },
    ]);
  }

  it(`exports ${LISTINGS.toLocaleString('en')} listings with bans applied, growing RSS by less than ${MAX_GROWTH_MB} MB`, async () => {
    await seed();
    collectGarbage();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    const sampler = setInterval(() => {
      collectGarbage();
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    }, 250);

    const started = Date.now();
    const counts = { lines: 0, withoutAddress: 0, unpublishable: 0, wrongAddress: 0, bytes: 0 };
    try {
      await new Promise<void>((resolve, reject) => {
        const url = `${stack.urls['directory-bans']}/v1/directory/export?outlet=online`;
        get(url, { headers: bearer('staff') }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`export answered ${res.statusCode}`));
          expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
          res.setEncoding('utf8');
          let partial = '';
          res.on('data', (chunk: string) => {
            counts.bytes += chunk.length;
            const lines = (partial + chunk).split('\n');
            partial = lines.pop()!;
            for (const line of lines) {
              const entry = JSON.parse(line) as { customerId: string; address?: unknown; name?: string };
              counts.lines++;
              if (entry.address === undefined) counts.withoutAddress++;
              const n = parseInt(entry.customerId.slice(-12), 16);
              if (fullyBanned(n) || restricted(n)) counts.unpublishable++;
              if (addressHidden(n) !== (entry.address === undefined)) counts.wrongAddress++;
            }
          });
          res.on('end', () =>
            partial === '' ? resolve() : reject(new Error('the export did not end with a newline')),
          );
          res.on('error', reject);
        }).on('error', reject);
      });
    } finally {
      clearInterval(sampler);
    }
    const growthMb = (peakRss - baseline.rss) / MB;
    console.log(
      `directory export of ${counts.lines} lines (${(counts.bytes / MB).toFixed(1)} MB of NDJSON) in ${Date.now() - started} ms: ` +
        `RSS baseline ${(baseline.rss / MB).toFixed(1)} MB, peak ${(peakRss / MB).toFixed(1)} MB, growth ${growthMb.toFixed(1)} MB; ` +
        `heapUsed baseline ${(baseline.heapUsed / MB).toFixed(1)} MB, peak ${(peakHeap / MB).toFixed(1)} MB`,
    );

    expect(counts.lines).toBe(LISTINGS);
    expect(counts.unpublishable).toBe(0);
    expect(counts.wrongAddress).toBe(0);
    expect(counts.withoutAddress).toBe(Math.ceil(SEEDED / 20));
    expect(growthMb).toBeLessThan(MAX_GROWTH_MB);
  });
});
