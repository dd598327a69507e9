import { createHash } from 'node:crypto';
import type { CustomerKind, LedgerChannel, RegisterName, SuppressionEntryReason } from '@kielto/contracts/enums';
import type { ConsentSubjectV1 } from '@kielto/contracts/events';
import { bindsContactPerson, bindsHolder } from '@kielto/contracts/rules';
import type { LedgerEntryView, SubjectFacts, SuppressionEntryView } from './decision.types';
import { IdentifierMap, NONE } from './identifier-map';
import { RegisterHead, RegisterSet } from './register-set';

export type IdentifierKind = 'email' | 'phone';

/**
 * An identifier a customer (owner `own`) or one of its contact persons (`contact-person`, `person`) holds. `post`: the
 * keyed hash of the customer's postal identity (name and address, docs/CONTRACT.md §3.9), matched by postal checks.
 */
export interface HeldPoint {
  kind: IdentifierKind | 'post';
  hash: string;
  owner: 'own' | 'contact-person';
  /** The contact person's id, for owner `contact-person`. */
  person?: string;
  /** Epoch ms since when it has been held (entries recorded against it bind the holder from then on, §3). */
  from: number;
}

/** An identifier held in `[from, until)` and no longer. */
export interface FormerPoint extends HeldPoint {
  until: number;
}

/** What suppression keeps of a customer: keyed hashes and flags, never clear personal data. */
export interface CustomerRecord {
  customerId: string;
  sequence: number;
  kind: CustomerKind;
  since: number;
  restrictedSince?: number;
  erasedAt?: number;
  /** R2: the relationship is active now. */
  activeContract: boolean;
  /** R2 grace: when it ended. */
  relationshipEndedAt?: number;
  /** R10: holds a mobile subscription now. */
  mobileSubscription: boolean;
  /** The population register (DVV) records a direct-marketing or safety ban (§3.9); absent when none. */
  populationRegisterBan?: boolean;
  contactPoints: HeldPoint[];
  formerContactPoints: FormerPoint[];
}

export interface StoredLedgerEntry extends LedgerEntryView {
  subjectKey: string;
}

export interface StaffEntry extends SuppressionEntryView {
  id: string;
  hash: string;
  kind: IdentifierKind;
  reason: SuppressionEntryReason;
  channel: LedgerChannel;
}

export interface BanRecord {
  customerId: string;
  sequence: number;
  fullSince?: number;
}

/** Identifier hash → its kind: what a change may have altered (for the partner feed). */
export type AffectedIdentifiers = Map<string, IdentifierKind>;

export interface StateDigest {
  /** SHA-256 hex over a canonical, sorted serialisation of everything decisions depend on. */
  sha256: string;
  counts: {
    customers: number;
    erasedCustomers: number;
    identifiers: number;
    ledgerSubjects: number;
    ledgerEntries: number;
    erasedIdentifiers: number;
    directoryBans: number;
    staffEntries: number;
    removedStaffEntries: number;
    /** Rows of the outside registers (asml-phone, asml-post). */
    registerRows: number;
  };
}

/**
 * One fact of the state, as `exportFacts` yields it and the apply methods take it: applying every fact a state
 * exports, in any order, to an empty state gives an equal state (same `digest()`). Snapshots are built on this.
 */
export type StateFact =
  | { type: 'customer'; record: CustomerRecord }
  | { type: 'ledger'; entry: StoredLedgerEntry }
  | { type: 'floor'; subjectKey: string; below: number }
  | { type: 'erased'; hash: string; at: number }
  | { type: 'ban'; ban: BanRecord }
  | { type: 'staff'; entry: StaffEntry }
  | { type: 'removed'; id: string; at: number }
  | { type: 'register'; register: RegisterName; head: RegisterHead }
  | { type: 'register-row'; register: RegisterName; hash: string; since: number }
  | { type: 'population-ban'; customerId: string };

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The few words stored in every entry (channel, purpose, decision, kind, owner), numbered so that columns hold
 * numbers. A value outside the vocabulary (a newer producer's channel, say) gets the next number when first
 * seen, so it round-trips like the others.
 */
const VOCABULARY = [
  ...['email', 'sms', 'phone', 'post', 'all'],
  ...['own-marketing', 'partner-marketing', 'profiling', 'market-research'],
  ...['grant', 'withdraw', 'prohibit', 'lift-prohibition'],
  ...['own', 'contact-person', 'person', 'organization'],
  ...['bounce', 'complaint', 'robinson', 'manual'],
];
const EMAIL = VOCABULARY.indexOf('email');
const PHONE = VOCABULARY.indexOf('phone');
const POST = VOCABULARY.indexOf('post');
const ORGANIZATION = VOCABULARY.indexOf('organization');

class Words {
  private readonly codes = new Map<unknown, number>(VOCABULARY.map((word, code) => [word, code]));
  private readonly words: unknown[] = [...VOCABULARY];

  code(word: unknown): number {
    let code = this.codes.get(word);
    if (code === undefined) {
      code = this.words.push(word) - 1;
      this.codes.set(word, code);
    }
    return code;
  }

  find(word: unknown): number {
    return this.codes.get(word) ?? NONE;
  }

  word<T>(code: number): T {
    return this.words[code] as T;
  }

  /** One shared copy of a known word: values read from the database or an event are fresh strings each time. */
  canonical<T>(value: T): T {
    const code = this.codes.get(value);
    return code === undefined ? value : (this.words[code] as T);
  }
}

type Column = Int32Array | Float64Array | Uint8Array;

/** The column with room for `length` rows, the new ones set to `fill`. */
function grown<T extends Column>(column: T, length: number, fill = 0): T {
  const next = new (column.constructor as new (length: number) => T)(length);
  next.set(column as ArrayLike<number> & T);
  if (fill !== 0) next.fill(fill, column.length);
  return next;
}

/** Grows by half: the slack stays a third of a column at most. */
const larger = (length: number) => Math.ceil(length * 1.5) + 16;

/** Rows of parallel typed-array columns; a released row is reused (free rows are chained through `next`). */
abstract class Rows {
  /** the next row of the same chain, or NONE */
  next = new Int32Array(0);
  private end = 0;
  private free = NONE;

  add(): number {
    let row = this.free;
    if (row !== NONE) this.free = this.next[row];
    else {
      row = this.end++;
      if (row >= this.next.length) {
        const length = larger(row);
        this.next = grown(this.next, length);
        this.resize(length);
      }
    }
    this.next[row] = NONE;
    return row;
  }

  /** Releases a row, or a whole chain from it. */
  release(row: number, chain = false): void {
    while (row !== NONE) {
      const next = chain ? this.next[row] : NONE;
      this.next[row] = this.free;
      this.free = row;
      row = next;
    }
  }

  protected abstract resize(length: number): void;
}

/** Ledger entries, chained per subject in the order they were applied. */
class LedgerRows extends Rows {
  sequence = new Float64Array(0);
  at = new Float64Array(0);
  expiresAt = new Float64Array(0);
  channel = new Int32Array(0);
  purpose = new Int32Array(0);
  decision = new Int32Array(0);
  /** `kind << 1 | 1 when expiresAt is set`: kind is the subject's (`email`, `phone`) on an identifier's chain, else NONE */
  meta = new Int32Array(0);

  protected resize(length: number): void {
    this.sequence = grown(this.sequence, length);
    this.at = grown(this.at, length);
    this.expiresAt = grown(this.expiresAt, length);
    this.channel = grown(this.channel, length);
    this.purpose = grown(this.purpose, length);
    this.decision = grown(this.decision, length);
    this.meta = grown(this.meta, length);
  }
}

/** Contact points, chained per customer in their order. */
class PointRows extends Rows {
  identifier = new Int32Array(0);
  kind = new Int32Array(0);
  owner = new Int32Array(0);
  /** the contact person's ordinal within the customer (`CustomerRows.persons`), NONE for the customer's own */
  person = new Int32Array(0);
  /** epoch ms since when it has been held */
  from = new Float64Array(0);

  protected resize(length: number): void {
    this.identifier = grown(this.identifier, length);
    this.kind = grown(this.kind, length);
    this.owner = grown(this.owner, length);
    this.person = grown(this.person, length);
    this.from = grown(this.from, length);
  }
}

/** Customer flags */
const RECORD = 1;
const RESTRICTED = 2;
const CUSTOMER_ERASED = 4;
const BANNED = 8;
const ACTIVE = 16;
const MOBILE = 32;
const ENDED = 64;
const POPULATION_BAN = 128;

/**
 * One row per customer id met (in a customer record, a ledger subject `customer:<id>` or a ban); never released.
 * The record's fields are set only with the RECORD flag.
 */
class CustomerRows {
  sequence = new Float64Array(0);
  since = new Float64Array(0);
  restrictedSince = new Float64Array(0);
  erasedAt = new Float64Array(0);
  endedAt = new Float64Array(0);
  kind = new Int32Array(0);
  flags = new Uint8Array(0);
  /** first contact point */
  points = new Int32Array(0);
  /** first entry of the ledger `customer:<id>` */
  ledger = new Int32Array(0);
  readonly ids: string[] = [];
  readonly rows = new Map<string, number>();
  /** the contact persons' ids of a customer that has any, by ordinal (rare: organisations) */
  readonly persons = new Map<number, string[]>();
  /** identifiers a customer held before (rare) */
  readonly former = new Map<number, FormerPoint[]>();

  /** The row of a customer id, added if new. */
  add(customerId: string): number {
    let row = this.rows.get(customerId);
    if (row !== undefined) return row;
    row = this.ids.push(customerId) - 1;
    this.rows.set(customerId, row);
    if (row >= this.flags.length) {
      const length = larger(row);
      this.sequence = grown(this.sequence, length);
      this.since = grown(this.since, length);
      this.restrictedSince = grown(this.restrictedSince, length);
      this.erasedAt = grown(this.erasedAt, length);
      this.endedAt = grown(this.endedAt, length);
      this.kind = grown(this.kind, length);
      this.flags = grown(this.flags, length);
      this.points = grown(this.points, length, NONE);
      this.ledger = grown(this.ledger, length, NONE);
    }
    return row;
  }

  /** The row of a customer whose record is held. */
  record(customerId: string): number {
    const row = this.rows.get(customerId);
    return row !== undefined && this.flags[row] & RECORD ? row : NONE;
  }
}

/** Identifier flags */
const ERASED = 1;
const STAFF = 2;
/** `owner` of an identifier several customers share: see `sharedOwners` */
const SHARED = -1;

/** Which staff entries `gatherPoints` adds: those of every identifier of the holder, or (an index) of that one. */
const ALL_STAFF = -2;

/** A ledger subject: `customer:<id>` (at a customer row), `<kind>:<identifier>` (at an identifier), or any other key. */
interface Subject {
  type: typeof CUSTOMER_SUBJECT | typeof IDENTIFIER_SUBJECT | typeof OTHER_SUBJECT;
  at: number;
  /** the kind of the entries of an identifier's subject on its chain (NONE for the other types) */
  kind: number;
  key: string;
}
const CUSTOMER_SUBJECT = 0;
const IDENTIFIER_SUBJECT = 1;
const OTHER_SUBJECT = 2;

/**
 * The in-memory index every check reads. It is a projection of the three source topics plus staff entries,
 * keyed by customer id and by the keyed hash of each identifier, and it applies events idempotently:
 * a customer or ban event only if newer than what is held, a ledger entry once per (subject, sequence),
 * a staff entry once per id (and never again after its removal).
 *
 * The result does not depend on the order in which events of *different* aggregates arrive (partitions are
 * consumed in any interleaving), so a rebuild from the topics equals the live state: see `digest()`.
 *
 * Layout: it holds millions of identifiers, so they are not strings and records are not objects. Each identifier
 * hash is 32 bytes in an `IdentifierMap` under an index; typed-array columns hold, per identifier, its owner and
 * the first of its ledger entries (`email:<hash>` and `phone:<hash>` share a chain, each entry carrying its
 * subject's kind), per customer its record's fields, its first contact point and the first entry of its own
 * ledger; ledger entries and contact points are rows of columns of their own, chained. The rare things (staff
 * entries, erasures, shared identifiers, bans, floors) stay in `Map`s, with flags in the columns so that a check
 * looks them up only when they exist. Objects are built when asked for, as they were stored.
 */
export class SuppressionState {
  private readonly words = new Words();
  private readonly ids = new IdentifierMap();
  /** identifier → its owning (not erased) customer's row + 1, 0 when none, or SHARED */
  private idOwner = new Int32Array(0);
  /** identifier → ERASED | STAFF */
  private idFlags = new Uint8Array(0);
  /** identifier → the first entry of its ledgers */
  private idLedger = new Int32Array(0);
  /** identifiers several customers share (e.g. a family address) → their rows sorted by id: all of their facts apply */
  private readonly sharedOwners = new Map<number, number[]>();
  /** identifier hash → rows of the customers that held it before (rare; for the partner feed) */
  private readonly formerHolders = new Map<string, Set<number>>();
  private readonly customers = new CustomerRows();
  private readonly points = new PointRows();
  private readonly entries = new LedgerRows();
  /** ledger subjects of another form than `customer:<id>` and `<kind>:<identifier>` → their first entry */
  private readonly otherLedgers = new Map<string, number>();
  /** subject key → entries below this sequence were erased */
  private readonly ledgerFloor = new Map<string, number>();
  /** identifier → erased at (R8) */
  private readonly erased = new Map<number, number>();
  /** identifier → its staff entries */
  private readonly staffEntries = new Map<number, StaffEntry[]>();
  private readonly staffById = new Map<string, StaffEntry>();
  /** entry id → removed at: a removal is final, so a late redelivery of the addition cannot resurrect it. */
  private readonly removedStaff = new Map<string, number>();
  private readonly bans = new Map<string, BanRecord>();
  /** ASML's Robinson registers (docs/CONTRACT.md §3.9): rows by keyed hash, apart from the identifiers above. */
  private readonly registerSets: Record<RegisterName, RegisterSet> = {
    'asml-phone': new RegisterSet(),
    'asml-post': new RegisterSet(),
  };
  private readonly pointWords = new Int32Array(8);
  private records = 0;
  /** identifiers with an owner */
  private owned = 0;
  private ledgerSubjects = 0;
  private ledgerEntries = 0;
  /** ledger subjects other than `customer:<id>` */
  private identifierLedgers = 0;

  /** Identifier hashes held (of customers, erased, with staff entries, or with a ledger of their own; overlaps count twice). */
  get identifierCount(): number {
    return this.owned + this.erased.size + this.staffEntries.size + this.identifierLedgers;
  }

  get customerCount(): number {
    return this.records;
  }

  get ledgerSubjectCount(): number {
    return this.ledgerSubjects;
  }

  get ledgerEntryCount(): number {
    return this.ledgerEntries;
  }

  get staffEntryCount(): number {
    return this.staffById.size;
  }

  // ---- identifiers ----

  private intern(text: string, offset = 0): number {
    const id = this.ids.intern(text, offset);
    if (id >= this.idOwner.length) {
      const length = this.ids.capacity;
      this.idOwner = grown(this.idOwner, length);
      this.idFlags = grown(this.idFlags, length);
      this.idLedger = grown(this.idLedger, length, NONE);
    }
    return id;
  }

  /** Forgets an identifier nothing refers to any more. */
  private release(id: number): void {
    if (this.idOwner[id] === 0 && this.idFlags[id] === 0 && this.idLedger[id] === NONE) this.ids.delete(id);
  }

  // ---- applying facts (idempotent) ----

  /** Returns false when the record is not newer than what is held. */
  applyCustomer(input: CustomerRecord): boolean {
    const c = this.customers;
    const p = this.points;
    const row = c.add(input.customerId);
    const held = (c.flags[row] & RECORD) !== 0;
    if (held && c.sequence[row] >= input.sequence) return false;
    if (held) {
      for (let point = c.points[row]; point !== NONE; point = p.next[point]) {
        this.removeOwner(p.identifier[point], row);
      }
      p.release(c.points[row], true);
    } else this.records++;
    let flags = RECORD | (c.flags[row] & BANNED);
    if (input.restrictedSince !== undefined) flags |= RESTRICTED;
    if (input.erasedAt !== undefined) flags |= CUSTOMER_ERASED;
    if (input.activeContract) flags |= ACTIVE;
    if (input.mobileSubscription) flags |= MOBILE;
    if (input.relationshipEndedAt !== undefined) flags |= ENDED;
    if (input.populationRegisterBan === true) flags |= POPULATION_BAN;
    c.flags[row] = flags;
    c.sequence[row] = input.sequence;
    c.kind[row] = this.words.code(input.kind);
    c.since[row] = input.since;
    c.restrictedSince[row] = input.restrictedSince ?? 0;
    c.erasedAt[row] = input.erasedAt ?? 0;
    c.endedAt[row] = input.relationshipEndedAt ?? 0;
    c.points[row] = NONE;
    const persons: string[] = [];
    const ordinal = (person: string | undefined) => {
      if (person === undefined) return NONE;
      const at = persons.indexOf(person);
      return at >= 0 ? at : persons.push(person) - 1;
    };
    let last = NONE;
    for (const cp of input.contactPoints) {
      const point = p.add();
      p.identifier[point] = this.intern(cp.hash);
      p.kind[point] = this.words.code(cp.kind);
      p.owner[point] = this.words.code(cp.owner);
      p.person[point] = cp.owner === 'contact-person' ? ordinal(cp.person ?? '') : NONE;
      p.from[point] = cp.from;
      if (last === NONE) c.points[row] = point;
      else p.next[last] = point;
      last = point;
    }
    if (persons.length > 0) c.persons.set(row, persons);
    else c.persons.delete(row);
    this.setFormer(row, input.formerContactPoints);
    for (let point = c.points[row]; point !== NONE; point = p.next[point]) {
      if (input.erasedAt !== undefined) this.eraseIdentifier(p.identifier[point], input.erasedAt);
      else this.addOwner(p.identifier[point], row);
    }
    return true;
  }

  /** Identifiers a customer held before, and the reverse index the partner feed needs. */
  private setFormer(row: number, points: readonly FormerPoint[]): void {
    for (const old of this.customers.former.get(row) ?? EMPTY) {
      const holders = this.formerHolders.get(old.hash);
      holders?.delete(row);
      if (holders?.size === 0) this.formerHolders.delete(old.hash);
    }
    if (points.length === 0) {
      this.customers.former.delete(row);
      return;
    }
    this.customers.former.set(
      row,
      points.map((fp) => ({ ...fp })),
    );
    for (const fp of points) {
      let holders = this.formerHolders.get(fp.hash);
      if (holders === undefined) this.formerHolders.set(fp.hash, (holders = new Set()));
      holders.add(row);
    }
  }

  private addOwner(id: number, row: number): void {
    const current = this.idOwner[id];
    if (current === 0) this.owned++;
    if (current === 0 || current === row + 1) this.idOwner[id] = row + 1;
    else if (current !== SHARED) {
      this.idOwner[id] = SHARED;
      this.sharedOwners.set(id, this.byCustomerId([current - 1, row]));
    } else {
      const rows = this.sharedOwners.get(id)!;
      if (!rows.includes(row)) this.sharedOwners.set(id, this.byCustomerId([...rows, row]));
    }
  }

  private removeOwner(id: number, row: number): void {
    const current = this.idOwner[id];
    if (current === row + 1) {
      this.idOwner[id] = 0;
      this.owned--;
      this.release(id);
    } else if (current === SHARED) {
      const rows = this.sharedOwners.get(id)!;
      if (!rows.includes(row)) return;
      const rest = rows.filter((r) => r !== row);
      if (rest.length > 1) this.sharedOwners.set(id, rest);
      else {
        this.sharedOwners.delete(id);
        this.idOwner[id] = rest[0] + 1;
      }
    }
  }

  private byCustomerId(rows: number[]): number[] {
    const ids = this.customers.ids;
    return rows.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  }

  markErased(hash: string, at: number): void {
    this.eraseIdentifier(this.intern(hash), at);
  }

  private eraseIdentifier(id: number, at: number): void {
    // The latest erasure: a grant must come after it to beat the tombstone (R8).
    this.erased.set(id, Math.max(this.erased.get(id) ?? -Infinity, at));
    this.idFlags[id] |= ERASED;
  }

  /**
   * Where a subject's ledger is; undefined when `add` is false and it cannot have one. Subjects of the form
   * `<kind>:<identifier>` share the identifier's chain (the key is split at its first colon, so this maps keys
   * to subjects one to one).
   */
  private subject(key: string, add: boolean): Subject | undefined {
    if (key.startsWith('customer:')) {
      const id = key.slice('customer:'.length);
      const at = add ? this.customers.add(id) : this.customers.rows.get(id);
      return at === undefined ? undefined : { type: CUSTOMER_SUBJECT, at, kind: NONE, key };
    }
    const colon = key.indexOf(':');
    if (colon < 0) return { type: OTHER_SUBJECT, at: NONE, kind: NONE, key };
    const kind = add ? this.words.code(key.slice(0, colon)) : this.words.find(key.slice(0, colon));
    const at = kind === NONE ? NONE : add ? this.intern(key, colon + 1) : this.ids.find(key, colon + 1);
    return at === NONE ? undefined : { type: IDENTIFIER_SUBJECT, at, kind, key };
  }

  private first(subject: Subject): number {
    switch (subject.type) {
      case CUSTOMER_SUBJECT:
        return this.customers.ledger[subject.at];
      case IDENTIFIER_SUBJECT:
        return this.idLedger[subject.at];
      case OTHER_SUBJECT:
        return this.otherLedgers.get(subject.key) ?? NONE;
    }
  }

  private setFirst(subject: Subject, entry: number): void {
    switch (subject.type) {
      case CUSTOMER_SUBJECT:
        this.customers.ledger[subject.at] = entry;
        return;
      case IDENTIFIER_SUBJECT:
        this.idLedger[subject.at] = entry;
        return;
      case OTHER_SUBJECT:
        if (entry === NONE) this.otherLedgers.delete(subject.key);
        else this.otherLedgers.set(subject.key, entry);
    }
  }

  /** Returns false for a duplicate (same subject and sequence) or an entry below the erasure floor. */
  applyLedgerEntry(input: StoredLedgerEntry): boolean {
    const floors = this.ledgerFloor;
    if (input.sequence < (floors.size === 0 ? 0 : (floors.get(input.subjectKey) ?? 0))) return false;
    const subject = this.subject(input.subjectKey, true)!;
    const e = this.entries;
    let last = NONE;
    let known = false;
    for (let entry = this.first(subject); entry !== NONE; entry = e.next[entry]) {
      if (e.meta[entry] >> 1 === subject.kind) {
        if (e.sequence[entry] === input.sequence) return false;
        known = true;
      }
      last = entry;
    }
    const entry = e.add();
    e.sequence[entry] = input.sequence;
    e.at[entry] = input.at;
    e.channel[entry] = this.words.code(input.channel);
    e.purpose[entry] = this.words.code(input.purpose);
    e.decision[entry] = this.words.code(input.decision);
    e.expiresAt[entry] = input.expiresAt ?? 0;
    e.meta[entry] = (subject.kind << 1) | (input.expiresAt === undefined ? 0 : 1);
    if (last === NONE) this.setFirst(subject, entry);
    else e.next[last] = entry;
    this.ledgerEntries++;
    if (!known) {
      this.ledgerSubjects++;
      if (subject.type !== CUSTOMER_SUBJECT) this.identifierLedgers++;
    }
    return true;
  }

  /** True when a ledger entry was erased with its subject's ledger (or is already held): nothing to store. */
  isLedgerEntryKnownOrErased(subjectKey: string, sequence: number): boolean {
    if (sequence < (this.ledgerFloor.get(subjectKey) ?? 0)) return true;
    const subject = this.subject(subjectKey, false);
    if (!subject) return false;
    const e = this.entries;
    for (let entry = this.first(subject); entry !== NONE; entry = e.next[entry]) {
      if (e.meta[entry] >> 1 === subject.kind && e.sequence[entry] === sequence) return true;
    }
    return false;
  }

  eraseLedger(subjectKey: string, belowSequence: number): void {
    this.ledgerFloor.set(subjectKey, Math.max(this.ledgerFloor.get(subjectKey) ?? 0, belowSequence));
    const subject = this.subject(subjectKey, false);
    if (!subject) return;
    const e = this.entries;
    let held = 0;
    let kept = 0;
    let previous = NONE;
    for (let entry = this.first(subject); entry !== NONE; ) {
      const next = e.next[entry];
      const mine = e.meta[entry] >> 1 === subject.kind;
      if (mine) held++;
      if (!mine || e.sequence[entry] >= belowSequence) {
        if (mine) kept++;
        previous = entry;
      } else {
        if (previous === NONE) this.setFirst(subject, next);
        else e.next[previous] = next;
        e.release(entry);
      }
      entry = next;
    }
    this.ledgerEntries -= held - kept;
    if (held === 0 || kept > 0) return;
    this.ledgerSubjects--;
    if (subject.type !== CUSTOMER_SUBJECT) this.identifierLedgers--;
    if (subject.type === IDENTIFIER_SUBJECT) this.release(subject.at);
  }

  applyBan(ban: BanRecord): boolean {
    const current = this.bans.get(ban.customerId);
    if (current && current.sequence >= ban.sequence) return false;
    this.bans.set(ban.customerId, ban);
    const row = this.customers.add(ban.customerId); // before reading `flags`: adding a row may grow it
    this.customers.flags[row] |= BANNED;
    return true;
  }

  banSequence(customerId: string): number | undefined {
    return this.bans.get(customerId)?.sequence;
  }

  /** Returns false for a duplicate or an entry that was already removed. */
  addStaffEntry(input: StaffEntry): boolean {
    if (this.staffById.has(input.id) || this.removedStaff.has(input.id)) return false;
    const entry: StaffEntry = {
      id: input.id,
      hash: input.hash,
      kind: this.words.canonical(input.kind),
      reason: this.words.canonical(input.reason),
      channel: this.words.canonical(input.channel),
      since: input.since,
    };
    this.staffById.set(entry.id, entry);
    const id = this.intern(entry.hash);
    const list = this.staffEntries.get(id);
    if (list) list.push(entry);
    else this.staffEntries.set(id, [entry]);
    this.idFlags[id] |= STAFF;
    return true;
  }

  /** Removes an entry for good; returns the entry when it was held. */
  removeStaffEntry(id: string, at: number): StaffEntry | undefined {
    this.removedStaff.set(id, Math.min(this.removedStaff.get(id) ?? Infinity, at));
    const entry = this.staffById.get(id);
    if (!entry) return undefined;
    this.staffById.delete(id);
    const identifier = this.ids.find(entry.hash);
    const rest = this.staffEntries.get(identifier)!.filter((e) => e.id !== id);
    if (rest.length > 0) this.staffEntries.set(identifier, rest);
    else {
      this.staffEntries.delete(identifier);
      this.idFlags[identifier] &= ~STAFF;
      this.release(identifier);
    }
    return entry;
  }

  isStaffEntryRemoved(id: string): boolean {
    return this.removedStaff.has(id);
  }

  staffEntry(id: string): StaffEntry | undefined {
    return this.staffById.get(id);
  }

  staffEntriesOf(hash: string): readonly StaffEntry[] {
    const id = this.ids.find(hash);
    return (id !== NONE && this.staffEntries.get(id)) || EMPTY;
  }

  /** The first owning customer of an identifier (tests and diagnostics). */
  ownerOf(hash: string): CustomerRecord | undefined {
    const id = this.ids.find(hash);
    const owner = id === NONE ? 0 : this.idOwner[id];
    if (owner === 0) return undefined;
    return this.record(owner === SHARED ? this.sharedOwners.get(id)![0] : owner - 1);
  }

  /** A customer's record as it was applied. */
  private record(row: number): CustomerRecord {
    const c = this.customers;
    const p = this.points;
    const persons = c.persons.get(row);
    const contactPoints: HeldPoint[] = [];
    for (let point = c.points[row]; point !== NONE; point = p.next[point]) {
      const held: HeldPoint = {
        kind: this.words.word(p.kind[point]),
        hash: this.ids.text(p.identifier[point]),
        owner: this.words.word(p.owner[point]),
        from: p.from[point],
      };
      if (p.person[point] !== NONE) held.person = persons![p.person[point]];
      contactPoints.push(held);
    }
    const flags = c.flags[row];
    return {
      customerId: c.ids[row],
      sequence: c.sequence[row],
      kind: this.words.word(c.kind[row]),
      since: c.since[row],
      restrictedSince: flags & RESTRICTED ? c.restrictedSince[row] : undefined,
      erasedAt: flags & CUSTOMER_ERASED ? c.erasedAt[row] : undefined,
      activeContract: (flags & ACTIVE) !== 0,
      relationshipEndedAt: flags & ENDED ? c.endedAt[row] : undefined,
      mobileSubscription: (flags & MOBILE) !== 0,
      ...(flags & POPULATION_BAN ? { populationRegisterBan: true } : {}),
      contactPoints,
      formerContactPoints: (c.former.get(row) ?? []).map((fp) => ({ ...fp })),
    };
  }

  // ---- gathering facts for a decision (docs/CONTRACT.md §3.6 "Who an entry binds") ----

  /**
   * Facts about an identifier (by its keyed hash): about whoever holds it now, else about the bare identifier. With
   * `registers` false, without the outside registers' rows (the partner feed: see docs/CONTRACT.md §3.9).
   */
  factsForIdentifier(kind: IdentifierKind, hash: string, registers = true): SubjectFacts {
    const facts = this.identifierFacts(kind, this.ids.find(hash), hash);
    return registers && kind === 'phone'
      ? this.withRegisterRow(facts, 'asml-phone', this.registerSets['asml-phone'].find(hash))
      : facts;
  }

  /**
   * The same by the hash's 32 bytes as eight big-endian words (what the checks' hasher computes): no hex string
   * is built or parsed, which is a tenth of a bulk check's cost per contact.
   */
  factsForIdentifierWords(kind: 'email' | 'phone', words: Int32Array): SubjectFacts {
    // The hex text is only needed for a ledger of another kind of subject, never for e-mail or phone.
    const facts = this.identifierFacts(kind, this.ids.findWords(words), '');
    return kind === 'phone'
      ? this.withRegisterRow(facts, 'asml-phone', this.registerSets['asml-phone'].findWords(words))
      : facts;
  }

  /**
   * Facts about a postal identity (a name with an address) by its keyed hash's words (`postalHashInput`): a bare
   * identifier with the `asml-post` register's row, if any.
   */
  factsForPostalWords(words: Int32Array): SubjectFacts {
    // The customers whose address it is (their prohibitions and restrictions apply), else the bare identity.
    const facts = this.identifierFacts('post', this.ids.findWords(words), '');
    return this.withRegisterRow(facts, 'asml-post', this.registerSets['asml-post'].findWords(words));
  }

  // ---- outside registers (docs/CONTRACT.md §3.9) ----

  register(name: RegisterName): RegisterSet {
    return this.registerSets[name];
  }

  /** A register row as a `robinson` entry of the opt-out list (the decision rules treat both alike, R4). */
  private registerEntry(name: RegisterName, row: number): SuppressionEntryView {
    const set = this.registerSets[name];
    const since = set.since(row);
    return {
      reason: 'robinson',
      channel: name === 'asml-phone' ? 'phone' : 'post',
      since,
      register: name,
      registerDate: set.head.date ?? since,
    };
  }

  /** The facts with a register's row added to every subject they describe (each holder of the identifier). */
  private withRegisterRow(facts: SubjectFacts, name: RegisterName, row: number): SubjectFacts {
    if (row === NONE) return facts;
    const entry = this.registerEntry(name, row);
    const add = (f: SubjectFacts): SubjectFacts => ({ ...f, suppressionEntries: [...f.suppressionEntries, entry] });
    const first = add(facts);
    if (facts.also !== undefined) first.also = facts.also.map(add);
    return first;
  }

  /**
   * Applies one change of a register (idempotent by sequence). `snapshot` is given with the last part of a snapshot:
   * the register's date becomes the snapshot's.
   */
  applyRegisterChange(
    name: RegisterName,
    sequence: number,
    date: string,
    added: Buffer,
    removed: Buffer,
    snapshot?: { inputSha256: string },
  ): boolean {
    return this.registerSets[name].apply(sequence, date, added, removed, snapshot);
  }

  private identifierFacts(kind: IdentifierKind | 'post', id: number, hash: string): SubjectFacts {
    const owner = id === NONE ? 0 : this.idOwner[id];
    if (owner === 0) return this.bareIdentifierFacts(kind, id, hash);
    if (owner !== SHARED) {
      const single = this.holderFacts(owner - 1, id, undefined);
      if (single !== undefined) return single;
    }
    // Several holders (a shared address, or a customer's own address that is also a contact person's): each is a
    // subject of its own, and the identifier is suppressed when any of them is.
    const found: SubjectFacts[] = [];
    for (const row of owner === SHARED ? this.sharedOwners.get(id)! : [owner - 1]) this.holderFacts(row, id, found);
    return found.length === 1 ? found[0] : { ...found[0], also: found.slice(1) };
  }

  /** Nobody holds the identifier: the entries recorded against it, its staff entries and its tombstone. */
  private bareIdentifierFacts(kind: IdentifierKind | 'post', id: number, hash: string): SubjectFacts {
    const flags = id === NONE ? 0 : this.idFlags[id];
    return {
      subject: 'identifier',
      erasedSince: flags & ERASED ? this.erased.get(id) : undefined,
      ledger: this.identifierLedger(kind, id, hash),
      suppressionEntries: flags & STAFF ? this.staffEntries.get(id)! : EMPTY,
    };
  }

  /**
   * The subjects holding identifier `id` through one customer row: the customer (its own address), and/or each
   * contact person whose address it is. Returns the only one when `into` is undefined and there is exactly one.
   */
  private holderFacts(row: number, id: number, into: SubjectFacts[] | undefined): SubjectFacts | undefined {
    const p = this.points;
    let own = false;
    let persons = 0;
    let person = NONE;
    for (let point = this.customers.points[row]; point !== NONE; point = p.next[point]) {
      if (p.identifier[point] !== id) continue;
      if (p.person[point] === NONE) own = true;
      else if (p.person[point] !== person) {
        person = p.person[point];
        persons++;
      }
    }
    if (into === undefined && (own ? 1 : 0) + persons === 1) {
      return own ? this.customerFacts(row, id) : this.contactPersonFacts(row, person, id);
    }
    const list = into ?? [];
    if (own) list.push(this.customerFacts(row, id));
    const seen = new Set<number>();
    for (let point = this.customers.points[row]; point !== NONE; point = p.next[point]) {
      const ordinal = p.person[point];
      if (p.identifier[point] !== id || ordinal === NONE || seen.has(ordinal)) continue;
      seen.add(ordinal);
      list.push(this.contactPersonFacts(row, ordinal, id));
    }
    return into === undefined ? { ...list[0], also: list.slice(1) } : undefined;
  }

  /** The ledger `<kind>:<hash>` of an identifier (NONE when not held). */
  private identifierLedger(kind: string, id: number, hash: string): readonly LedgerEntryView[] {
    const code = kind === 'email' ? EMAIL : kind === 'phone' ? PHONE : NONE;
    const ledger: LedgerEntryView[] = [];
    if (code === NONE) this.addSubjectLedger(`${kind}:${hash}`, ledger);
    else if (id !== NONE) this.addEntries(this.idLedger[id], code, ledger, 0, Infinity);
    return ledger.length === 0 ? EMPTY : ledger;
  }

  /** Adds the entries of a subject given by its key. */
  private addSubjectLedger(key: string, into: LedgerEntryView[]): void {
    const subject = this.subject(key, false);
    if (subject) this.addEntries(this.first(subject), subject.kind, into, 0, Infinity);
  }

  /**
   * Adds the entries of a chain that are of a kind (of the subject, on an identifier's chain) and bind a holder
   * of the identifier during `[from, until)` (`bindsHolder`; `from` 0 and `until` Infinity take every entry).
   * `grants` false leaves grants out (an organisation's grants do not bind its contact persons, R3).
   */
  private addEntries(
    entry: number,
    kind: number,
    into: LedgerEntryView[],
    from: number,
    until: number,
    grants = true,
  ): void {
    const e = this.entries;
    for (; entry !== NONE; entry = e.next[entry]) {
      const meta = e.meta[entry];
      if (meta >> 1 !== kind) continue;
      const view: LedgerEntryView = {
        channel: this.words.word(e.channel[entry]),
        purpose: this.words.word(e.purpose[entry]),
        decision: this.words.word(e.decision[entry]),
        at: e.at[entry],
        sequence: e.sequence[entry],
        expiresAt: meta & 1 ? e.expiresAt[entry] : undefined,
      };
      if (!bindsHolder(view, from, until)) continue;
      if (!grants && !bindsContactPerson(view)) continue;
      into.push(view);
    }
  }

  /** Facts about a customer by id; undefined when the id is unknown. */
  factsForCustomer(customerId: string): SubjectFacts | undefined {
    const row = this.customers.record(customerId);
    if (row === NONE) return undefined;
    if (this.customers.flags[row] & CUSTOMER_ERASED) {
      return { subject: 'person', erasedSince: this.customers.erasedAt[row], ledger: EMPTY, suppressionEntries: EMPTY };
    }
    return this.customerFacts(row, ALL_STAFF);
  }

  /**
   * A customer as a subject: entries recorded against its id, and those recorded against its own identifiers
   * (now held or held before) that bind it. Staff entries (bounce, complaint, robinson, manual) belong to one
   * address or number: a check of an identifier sees only its own, a check by customer id all of the customer's.
   * A tombstone on any of its identifiers (an erased earlier or co-holder, R8) applies to it.
   */
  private customerFacts(row: number, staffOf: number): SubjectFacts {
    const c = this.customers;
    const flags = c.flags[row];
    const ledger: LedgerEntryView[] = [];
    const suppressionEntries: SuppressionEntryView[] = [];
    this.addEntries(c.ledger[row], NONE, ledger, 0, Infinity);
    const erasedSince = this.gatherPoints(row, NONE, staffOf, ledger, suppressionEntries);
    return {
      subject: c.kind[row] === ORGANIZATION ? 'organization' : 'person',
      activeContract: (flags & ACTIVE) !== 0,
      relationshipEndedAt: flags & ENDED ? c.endedAt[row] : undefined,
      mobileSubscription: (flags & MOBILE) !== 0,
      restrictedSince: flags & RESTRICTED ? c.restrictedSince[row] : undefined,
      erasedSince,
      ledger,
      suppressionEntries,
      fullDirectoryBanSince: flags & BANNED ? this.bans.get(c.ids[row])!.fullSince : undefined,
      populationRegisterBan: flags & POPULATION_BAN ? true : undefined,
    };
  }

  /**
   * A contact person of an organisation as a subject (R3): their own identifiers' entries, and the organisation's
   * refusals and lifts (never its grants). The organisation's restriction applies (their data is its record's).
   */
  private contactPersonFacts(row: number, person: number, staffOf: number): SubjectFacts {
    const c = this.customers;
    const flags = c.flags[row];
    const ledger: LedgerEntryView[] = [];
    const suppressionEntries: SuppressionEntryView[] = [];
    this.addEntries(c.ledger[row], NONE, ledger, 0, Infinity, false);
    const erasedSince = this.gatherPoints(row, person, staffOf, ledger, suppressionEntries);
    return {
      subject: 'contact-person',
      activeContract: (flags & ACTIVE) !== 0,
      relationshipEndedAt: flags & ENDED ? c.endedAt[row] : undefined,
      restrictedSince: flags & RESTRICTED ? c.restrictedSince[row] : undefined,
      erasedSince,
      ledger,
      suppressionEntries,
    };
  }

  /**
   * Adds the entries binding one holder (the customer itself: `person` NONE; or a contact person by ordinal) from
   * its identifiers now held and held before, and its staff entries (of every identifier, or of `staffOf`).
   * Returns the latest tombstone on the identifiers it holds now.
   */
  private gatherPoints(
    row: number,
    person: number,
    staffOf: number,
    ledger: LedgerEntryView[],
    staff: SuppressionEntryView[],
  ): number | undefined {
    const p = this.points;
    let erasedSince: number | undefined;
    for (let point = this.customers.points[row]; point !== NONE; point = p.next[point]) {
      if (p.person[point] !== person) continue;
      const id = p.identifier[point];
      const kind = p.kind[point];
      if (kind === EMAIL || kind === PHONE) this.addEntries(this.idLedger[id], kind, ledger, p.from[point], Infinity);
      const flags = this.idFlags[id];
      if ((staffOf === ALL_STAFF || staffOf === id) && flags & STAFF) {
        for (const e of this.staffEntries.get(id)!) staff.push(e);
      }
      // A check by customer id sees the register rows of all the customer's numbers and of its postal identity (an
      // identifier's check adds its own row in `factsForIdentifier*` / `factsForPostalWords`).
      if (staffOf === ALL_STAFF && (kind === PHONE || kind === POST)) {
        const register = kind === PHONE ? 'asml-phone' : 'asml-post';
        if (this.registerSets[register].size !== 0) {
          this.ids.wordsOf(id, this.pointWords);
          const row = this.registerSets[register].findWords(this.pointWords);
          if (row !== NONE) staff.push(this.registerEntry(register, row));
        }
      }
      if (flags & ERASED) erasedSince = Math.max(erasedSince ?? -Infinity, this.erased.get(id)!);
    }
    const former = this.customers.former.get(row);
    if (former !== undefined) {
      const personId = person === NONE ? undefined : this.customers.persons.get(row)?.[person];
      for (const fp of former) {
        if (fp.person !== personId || (person === NONE) !== (fp.owner === 'own')) continue;
        const id = this.ids.find(fp.hash);
        if (id !== NONE)
          this.addEntries(this.idLedger[id], fp.kind === 'email' ? EMAIL : PHONE, ledger, fp.from, fp.until);
      }
    }
    return erasedSince;
  }

  /** The sequence of the customer's newest state held, if any. */
  customerSequence(customerId: string): number | undefined {
    const row = this.customers.record(customerId);
    return row === NONE ? undefined : this.customers.sequence[row];
  }

  /** The keyed hashes of a customer's contact points, as held now. */
  customerHashes(customerId: string): string[] {
    const hashes: string[] = [];
    this.eachPoint(this.customers.record(customerId), (id) => hashes.push(this.ids.text(id)));
    return hashes;
  }

  private eachPoint(row: number, visit: (id: number, kind: number) => void): void {
    if (row === NONE) return;
    const p = this.points;
    for (let point = this.customers.points[row]; point !== NONE; point = p.next[point]) {
      visit(p.identifier[point], p.kind[point]);
    }
  }

  /** Applies one exported fact (see `StateFact`). */
  applyFact(fact: StateFact): void {
    switch (fact.type) {
      case 'customer':
        this.applyCustomer(fact.record);
        return;
      case 'ledger':
        this.applyLedgerEntry(fact.entry);
        return;
      case 'floor':
        this.eraseLedger(fact.subjectKey, fact.below);
        return;
      case 'erased':
        this.markErased(fact.hash, fact.at);
        return;
      case 'ban':
        this.applyBan(fact.ban);
        return;
      case 'staff':
        this.addStaffEntry(fact.entry);
        return;
      case 'removed':
        this.removeStaffEntry(fact.id, fact.at);
        return;
      case 'register':
        this.registerSets[fact.register].head = { ...fact.head };
        return;
      case 'register-row':
        this.registerSets[fact.register].restore(fact.hash, fact.since);
        return;
      case 'population-ban': {
        const row = this.customers.record(fact.customerId);
        if (row !== NONE) this.customers.flags[row] |= POPULATION_BAN;
        return;
      }
    }
  }

  /**
   * Everything the state holds, as facts: markers first (floors, erasures, removals), then customers, ledger
   * entries, bans and staff entries. Lazily, so a snapshot of a million identifiers is never copied whole.
   */
  *exportFacts(): Generator<StateFact> {
    for (const [subjectKey, below] of this.ledgerFloor) yield { type: 'floor', subjectKey, below };
    for (const [id, at] of this.erased) yield { type: 'erased', hash: this.ids.text(id), at };
    for (const [id, at] of this.removedStaff) yield { type: 'removed', id, at };
    for (let row = 0; row < this.customers.ids.length; row++) {
      const flags = this.customers.flags[row];
      if (flags & RECORD) yield { type: 'customer', record: this.record(row) };
      // Its own fact (the snapshot codec's customer layout predates it), right after the customer's.
      if (flags & RECORD && flags & POPULATION_BAN)
        yield { type: 'population-ban', customerId: this.customers.ids[row] };
    }
    for (const [subjectKey, entries] of this.ledgers()) {
      for (const e of entries) yield { type: 'ledger', entry: { subjectKey, ...e } };
    }
    for (const ban of this.bans.values()) yield { type: 'ban', ban };
    for (const entry of this.staffById.values()) yield { type: 'staff', entry };
    for (const [register, set] of this.registers()) {
      if (set.head.sequence === 0 && set.size === 0) continue;
      yield { type: 'register', register, head: set.head };
      for (const row of set.rows())
        yield { type: 'register-row', register, hash: set.hash(row), since: set.since(row) };
    }
  }

  private registers(): [RegisterName, RegisterSet][] {
    return Object.entries(this.registerSets) as [RegisterName, RegisterSet][];
  }

  /** Every ledger subject held, with its entries. */
  private *ledgers(): Generator<[string, LedgerEntryView[]]> {
    const c = this.customers;
    for (let row = 0; row < c.ids.length; row++) {
      if (c.ledger[row] !== NONE) yield [`customer:${c.ids[row]}`, this.chain(c.ledger[row], NONE)];
    }
    for (let id = 0; id < this.idLedger.length; id++) {
      const first = this.idLedger[id];
      if (first === NONE) continue;
      const kinds = new Set<number>();
      for (let entry = first; entry !== NONE; entry = this.entries.next[entry])
        kinds.add(this.entries.meta[entry] >> 1);
      for (const kind of kinds)
        yield [`${this.words.word<string>(kind)}:${this.ids.text(id)}`, this.chain(first, kind)];
    }
    for (const [key, first] of this.otherLedgers) yield [key, this.chain(first, NONE)];
  }

  private chain(first: number, kind: number): LedgerEntryView[] {
    const entries: LedgerEntryView[] = [];
    this.addEntries(first, kind, entries, 0, Infinity);
    return entries;
  }

  // ---- what a change affects (partner feed) ----

  /** Every identifier of a customer (as held now), with its kind. */
  addCustomerIdentifiers(customerId: string, into: AffectedIdentifiers): void {
    this.addIdentifiersOf(this.customers.record(customerId), into);
  }

  private addIdentifiersOf(row: number, into: AffectedIdentifiers): void {
    // Postal identities are not on the partner feed (it carries e-mail and phone hashes).
    this.eachPoint(row, (id, kind) => {
      if (kind !== POST) into.set(this.ids.text(id), this.words.word(kind));
    });
  }

  /**
   * The identifiers whose answers a change to this ledger subject can alter: a customer's identifiers, or a
   * bare identifier plus, when it belongs to customers, all their identifiers (its entries apply to them).
   */
  addSubjectIdentifiers(subject: ConsentSubjectV1, into: AffectedIdentifiers): void {
    if (subject.type === 'customer') {
      this.addCustomerIdentifiers(subject.key, into);
      return;
    }
    into.set(subject.key, subject.type);
    for (const row of this.formerHolders.get(subject.key) ?? EMPTY) this.addIdentifiersOf(row, into);
    const id = this.ids.find(subject.key);
    const owner = id === NONE ? 0 : this.idOwner[id];
    if (owner === 0) return;
    for (const row of owner === SHARED ? this.sharedOwners.get(id)! : [owner - 1]) this.addIdentifiersOf(row, into);
  }

  // ---- comparing instances ----

  /**
   * A deterministic digest of everything decisions depend on: two instances (or a live store and one rebuilt
   * from the topics) hold the same state exactly when their digests are equal.
   */
  digest(): StateDigest {
    const hash = createHash('sha256');
    const line = (value: unknown[]) => hash.update(JSON.stringify(value)).update('\n');
    const byKey = <V>(entries: [string, V][]) => entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const sorted = <V>(map: Map<string, V>) => byKey([...map.entries()]);

    let erasedCustomers = 0;
    hash.update('customers\n');
    const records = [...this.customers.rows].filter(([, row]) => this.customers.flags[row] & RECORD);
    for (const [id, row] of byKey(records)) {
      const c = this.record(row);
      if (c.erasedAt !== undefined) erasedCustomers++;
      const points = c.contactPoints
        .map((cp) => `${cp.kind}:${cp.hash}:${cp.owner}:${cp.person ?? ''}:${cp.from}`)
        .sort();
      const former = c.formerContactPoints
        .map((fp) => `${fp.kind}:${fp.hash}:${fp.owner}:${fp.person ?? ''}:${fp.from}:${fp.until}`)
        .sort();
      line([
        id,
        c.sequence,
        c.kind,
        c.since,
        c.restrictedSince ?? null,
        c.erasedAt ?? null,
        c.activeContract,
        c.relationshipEndedAt ?? null,
        c.mobileSubscription,
        points,
        former,
        // Only when set: the digest of a state without DVV bans stays what it was before them.
        ...(c.populationRegisterBan ? ['population-register-ban'] : []),
      ]);
    }
    hash.update('ledger\n');
    for (const [key, entries] of byKey([...this.ledgers()])) {
      const list = entries.sort((a, b) => a.sequence - b.sequence);
      line([key, list.map((e) => [e.sequence, e.channel, e.purpose, e.decision, e.at, e.expiresAt ?? null])]);
    }
    hash.update('floors\n');
    for (const [key, floor] of sorted(this.ledgerFloor)) line([key, floor]);
    hash.update('erased\n');
    for (const [h, at] of byKey([...this.erased].map(([id, at]): [string, number] => [this.ids.text(id), at]))) {
      line([h, at]);
    }
    hash.update('bans\n');
    for (const [id, b] of sorted(this.bans)) line([id, b.sequence, b.fullSince ?? null]);
    hash.update('staff\n');
    for (const [id, e] of sorted(this.staffById)) line([id, e.hash, e.kind, e.reason, e.channel, e.since]);
    hash.update('removed\n');
    for (const [id, at] of sorted(this.removedStaff)) line([id, at]);
    // Only once a register was ever changed: the digest of a state without registers stays what it was before them.
    const registers = this.registers().filter(([, set]) => set.head.sequence !== 0 || set.size !== 0);
    if (registers.length > 0) hash.update('registers\n');
    let registerRows = 0;
    for (const [name, set] of registers) {
      const head = set.head;
      line([name, head.sequence, head.date ?? null, head.inputSha256 ?? null, set.size]);
      const rows = [...set.rows()].map((row): [string, number] => [set.hash(row), set.since(row)]);
      for (const [h, since] of byKey(rows)) line([h, since]);
      registerRows += set.size;
    }

    return {
      sha256: hash.digest('hex'),
      counts: {
        customers: this.records,
        erasedCustomers,
        identifiers: this.identifierCount,
        ledgerSubjects: this.ledgerSubjects,
        ledgerEntries: this.ledgerEntries,
        erasedIdentifiers: this.erased.size,
        directoryBans: this.bans.size,
        staffEntries: this.staffById.size,
        removedStaffEntries: this.removedStaff.size,
        registerRows,
      },
    };
  }
}
