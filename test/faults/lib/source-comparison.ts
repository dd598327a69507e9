import { Answer, expectedDecision, ExpectedFacts, ExpectedLedgerEntry } from './expected-decision';
import { http } from './http';
import { sleep } from './private-infra';
import { Identifier, PAIRS, Subject, Urls, Workload } from './workload';

interface SourceLedgerEntry {
  entryId: string;
  channel: ExpectedLedgerEntry['channel'];
  purpose: ExpectedLedgerEntry['purpose'];
  decision: ExpectedLedgerEntry['decision'];
  recordedAt: string;
  expiresAt?: string;
  sequence: number;
}

interface CustomerView {
  id: string;
  emails: string[];
  phones: string[];
  restricted: boolean;
  activeContract: boolean;
}

export interface Difference {
  subject: number;
  identifier: string;
  channel: string;
  purpose: string;
  expected: Answer;
  actual: string;
}

export interface ComparisonResult {
  /** identifier × (channel, purpose) answers compared */
  compared: number;
  differences: Difference[];
  /** Acknowledged writes the source services do not hold (should be none). */
  lost: string[];
  /** Identifiers skipped because a retried create left two customers with the same address. */
  skippedDuplicates: number;
  /** Time the workers spent waiting for answers, summed over workers: source reads, suppression checks. */
  busyMs: { sources: number; checks: number };
}

type Keys = { staff: string; marketing: string };

async function getJson<T>(
  url: string,
  key: string,
  okStatuses: number[] = [200],
): Promise<{ status: number; body: T }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await http<T>('GET', url, { headers: { Authorization: `Bearer ${key}` } });
    if (okStatuses.includes(res.status) || res.status === 404) return { status: res.status, body: res.body };
    await sleep(200);
  }
  throw new Error(`GET ${url} kept failing`);
}

/** The ledger that applies to a customer or bare identifier, read from the consents service (union of lookups). */
async function sourceLedger(
  urls: Urls,
  keys: Keys,
  lookups: Record<string, string>[],
): Promise<Map<string, SourceLedgerEntry>> {
  const entries = new Map<string, SourceLedgerEntry>();
  for (const lookup of lookups) {
    const res = await getJson<{ history: SourceLedgerEntry[] }>(
      `${urls.consents}/v1/consents?${new URLSearchParams(lookup).toString()}`,
      keys.staff,
    );
    if (res.status !== 200) continue;
    for (const e of res.body.history) entries.set(e.entryId, e);
  }
  return entries;
}

const toExpected = (e: SourceLedgerEntry): ExpectedLedgerEntry => ({
  channel: e.channel,
  purpose: e.purpose,
  decision: e.decision,
  at: Date.parse(e.recordedAt),
  sequence: e.sequence,
  expiresAt: e.expiresAt ? Date.parse(e.expiresAt) : undefined,
});

async function suppressionAnswer(
  urls: Urls,
  keys: Keys,
  identifier: Identifier,
  channel: string,
  purpose: string,
): Promise<string> {
  const query = new URLSearchParams({ channel, purpose, [identifier.kind]: identifier.value });
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await http<{ decision: string }>(
      'GET',
      `${urls.suppression}/v1/suppression/check?${query.toString()}`,
      {
        headers: { Authorization: `Bearer ${keys.marketing}` },
      },
    );
    if (res.status === 200) return res.body.decision;
    if (res.status !== 503 && res.status !== 0) return `HTTP ${res.status}`;
    await sleep(200);
  }
  return 'unavailable';
}

/**
 * The expected decision of every identifier of every subject, computed from what the SOURCE services hold now
 * (customers, consents, directory-bans) with the contract's rules, compared with suppression's answers. Also
 * checks that every write the load had acknowledged is held by its source service.
 */
export async function compareWithSources(
  workload: Workload,
  urls: Urls,
  keys: Keys,
  concurrency = 12,
): Promise<ComparisonResult> {
  const result: ComparisonResult = {
    compared: 0,
    differences: [],
    lost: [],
    skippedDuplicates: 0,
    busyMs: { sources: 0, checks: 0 },
  };
  const queue = workload.subjects.filter((s) => s.kind === 'bare' || s.customerId);
  const worker = async () => {
    for (let subject = queue.shift(); subject; subject = queue.shift())
      await compareSubject(subject, urls, keys, result);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}

async function compareSubject(subject: Subject, urls: Urls, keys: Keys, result: ComparisonResult): Promise<void> {
  const model = subject.state;
  const checkLost = !subject.retired;
  const targets: { identifier: Identifier; facts: ExpectedFacts }[] = [];
  const started = Date.now();

  if (subject.kind === 'bare') {
    const ledger = await sourceLedger(urls, keys, [{ email: subject.primaryEmail }]);
    if (checkLost)
      for (const id of model.entryIds)
        if (!ledger.has(id)) result.lost.push(`subject ${subject.index}: consent entry ${id}`);
    targets.push({
      identifier: { kind: 'email', value: subject.primaryEmail },
      facts: { erased: false, ledger: [...ledger.values()].map(toExpected) },
    });
  } else {
    const id = subject.customerId!;
    // The three sources are read side by side: each answers by key, and none depends on another's answer.
    const [customer, ban, ledger] = await Promise.all([
      getJson<CustomerView>(`${urls.customers}/v1/customers/${id}`, keys.staff),
      getJson<{ scope: 'full' | 'partial' }>(`${urls['directory-bans']}/v1/directory-bans/${id}`, keys.staff),
      // The consents service gathers the entries of the customer id and of all its addresses and numbers; that
      // it gathered all of them is checked below against the entries the load had acknowledged.
      sourceLedger(urls, keys, [{ customerId: id }]),
    ]);
    if (customer.status === 404) {
      if (checkLost && !model.erased)
        result.lost.push(`subject ${subject.index}: customer ${id} is gone but was never erased`);
      for (const identifier of subject.identifiers()) targets.push({ identifier, facts: { erased: true, ledger: [] } });
    } else {
      const view = customer.body;
      if (checkLost && model.erased) result.lost.push(`subject ${subject.index}: erasure of ${id} not held`);
      const banScope = ban.status === 200 ? ban.body.scope : 'none';
      if (checkLost) {
        if (view.restricted !== model.restricted)
          result.lost.push(`subject ${subject.index}: restricted=${view.restricted}, acknowledged ${model.restricted}`);
        if (banScope !== model.ban)
          result.lost.push(`subject ${subject.index}: directory ban ${banScope}, acknowledged ${model.ban}`);
        for (const email of model.emails)
          if (!view.emails.includes(email)) result.lost.push(`subject ${subject.index}: e-mail ${email} missing`);
        for (const entryId of model.entryIds)
          if (!ledger.has(entryId)) result.lost.push(`subject ${subject.index}: consent entry ${entryId}`);
      }
      const facts: ExpectedFacts = {
        erased: false,
        customer: {
          restricted: view.restricted,
          fullDirectoryBan: banScope === 'full',
          activeContract: view.activeContract,
        },
        ledger: [...ledger.values()].map(toExpected),
      };
      targets.push({ identifier: { kind: 'customerId', value: id }, facts });
      // A create retried after an unknown outcome may have made a second customer with the same address.
      const owners = subject.duplicateRisk
        ? await getJson<CustomerView[]>(
            `${urls.customers}/v1/customers?${new URLSearchParams({ email: subject.primaryEmail }).toString()}`,
            keys.staff,
          )
        : undefined;
      if (owners && owners.status === 200 && owners.body.length > 1) {
        result.skippedDuplicates += view.emails.length + view.phones.length;
      } else {
        for (const email of view.emails) targets.push({ identifier: { kind: 'email', value: email }, facts });
        for (const phone of view.phones) targets.push({ identifier: { kind: 'phone', value: phone }, facts });
      }
    }
  }

  result.busyMs.sources += Date.now() - started;
  const checksStarted = Date.now();
  // An identifier's answers for every (channel, purpose) side by side: suppression answers from memory.
  const answers = await Promise.all(
    targets.map(({ identifier }) =>
      Promise.all(PAIRS.map(([channel, purpose]) => suppressionAnswer(urls, keys, identifier, channel, purpose))),
    ),
  );
  for (const [t, { identifier, facts }] of targets.entries()) {
    for (const [p, [channel, purpose]] of PAIRS.entries()) {
      const expected = expectedDecision(facts, channel, purpose);
      const actual = answers[t][p];
      result.compared++;
      if (actual !== expected) {
        result.differences.push({
          subject: subject.index,
          identifier: `${identifier.kind}=${identifier.value}`,
          channel,
          purpose,
          expected,
          actual,
        });
      }
    }
  }
  result.busyMs.checks += Date.now() - checksStarted;
}
