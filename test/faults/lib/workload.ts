import { randomInt, randomUUID } from 'node:crypto';
import {
  Answer,
  Channel,
  expectedDecision,
  ExpectedFacts,
  ExpectedLedgerEntry,
  LedgerChannel,
  LedgerDecision,
  LedgerPurpose,
  Purpose,
} from './expected-decision';
import { http, HttpResult } from './http';
import { sleep } from './private-infra';

export interface Urls {
  customers: string;
  consents: string;
  'directory-bans': string;
  suppression: string;
}

/** The (channel, purpose) pairs asked about during the run and in the final comparison. */
export const PAIRS: readonly [Channel, Purpose][] = [
  ['email', 'own-marketing'],
  ['email', 'partner-marketing'],
  ['sms', 'own-marketing'],
  ['sms', 'partner-marketing'],
  ['phone', 'own-marketing'],
  ['phone', 'partner-marketing'],
  ['post', 'own-marketing'],
  ['post', 'partner-marketing'],
];

const LEDGER_CHANNELS: LedgerChannel[] = ['email', 'sms', 'phone', 'post', 'all'];
const LEDGER_PURPOSES: LedgerPurpose[] = ['own-marketing', 'partner-marketing', 'all'];

export type IdentifierKind = 'customerId' | 'email' | 'phone';
export interface Identifier {
  kind: IdentifierKind;
  value: string;
}

/** What the model knows about a subject after folding its acknowledged changes. */
export interface SubjectState {
  created: boolean;
  erased: boolean;
  restricted: boolean;
  ban: 'none' | 'full' | 'partial';
  emails: string[];
  phones: string[];
  ledger: ExpectedLedgerEntry[];
  entryIds: string[];
}

/**
 * One acknowledged (or possibly applied) change of a subject. `sentAt` is when its first attempt left, `ackAt`
 * when a 2xx (or an answer proving it applied) came back; Infinity when the client gave up without knowing.
 */
interface Change {
  what: string;
  /** The aggregate whose event carries the change: later events of one aggregate are published after it. */
  aggregate: string;
  sentAt: number;
  ackAt: number;
  /**
   * Known applied (a retry met "already done": 404/409) but never acknowledged with a 2xx, so when it reached
   * Kafka is unknown: until a later 2xx change of the same aggregate, it counts as "maybe applied".
   */
  unconfirmed?: boolean;
  apply(state: SubjectState): void;
}

const emptyState = (bare: boolean): SubjectState => ({
  created: bare,
  erased: false,
  restricted: false,
  ban: 'none',
  emails: [],
  phones: [],
  ledger: [],
  entryIds: [],
});

let serial = 0;
const runTag = randomUUID().slice(0, 8);
const uniqueEmail = (tag: string) => `f.${runTag}.${tag}.${++serial}@example.fi`;
const phoneBase = randomInt(7_000_000);
/** Finnish mobile numbers (040 + 7 digits), unique within a run. */
const uniquePhone = () => `+35840${2_000_000 + ((phoneBase + ++serial) % 7_000_000)}`;

/**
 * A subject of the load: a customer (its id, e-mails and phone) or a bare e-mail address of no customer. Writes
 * to one subject are serialised and never overlap a check of it, so every check answer can be judged against a
 * definite history of acknowledged changes.
 */
export class Subject {
  readonly changes: Change[] = [];
  busy = false;
  /** The client gave up on a write whose outcome it does not know: no further writes. */
  retired = false;
  customerId?: string;
  /** A create was retried after an unknown outcome: a duplicate customer with the same e-mail may exist. */
  duplicateRisk = false;

  constructor(
    readonly index: number,
    readonly kind: 'customer' | 'bare',
    readonly primaryEmail: string,
    readonly phone?: string,
  ) {}

  fold(cutoff = Number.POSITIVE_INFINITY, extra: Change[] = []): SubjectState {
    const state = emptyState(this.kind === 'bare');
    const applied = [...this.changes.filter((c) => c.ackAt < cutoff), ...extra].sort((a, b) => a.sentAt - b.sentAt);
    for (const change of applied) change.apply(state);
    return state;
  }

  /** Everything known to be applied, acknowledged or not (what the next write is chosen from). */
  get state(): SubjectState {
    return this.fold(
      Number.POSITIVE_INFINITY,
      this.changes.filter((c) => c.ackAt === Number.POSITIVE_INFINITY && c.unconfirmed),
    );
  }

  /** Identifiers to check: everything the subject was ever known by. */
  identifiers(): Identifier[] {
    if (this.kind === 'bare') return [{ kind: 'email', value: this.primaryEmail }];
    const ids: Identifier[] = [];
    if (this.customerId) ids.push({ kind: 'customerId', value: this.customerId });
    const state = this.fold(
      Number.POSITIVE_INFINITY,
      this.changes.filter((c) => c.ackAt === Number.POSITIVE_INFINITY),
    );
    for (const email of new Set([this.primaryEmail, ...state.emails])) ids.push({ kind: 'email', value: email });
    if (this.phone) ids.push({ kind: 'phone', value: this.phone });
    return ids;
  }

  /** The facts the contract says an answer about `identifier` rests on, in `state`. */
  facts(state: SubjectState, identifier: Identifier): ExpectedFacts {
    if (this.kind === 'bare') return { erased: false, ledger: state.ledger };
    if (!state.created) return { erased: false, ledger: [] };
    const belongs =
      identifier.kind === 'customerId' ||
      (identifier.kind === 'email' ? state.emails.includes(identifier.value) : state.phones.includes(identifier.value));
    if (!belongs) return { erased: false, ledger: [] };
    if (state.erased) return { erased: true, ledger: [] };
    return {
      erased: false,
      // The load creates customers without a contract (so that they can be erased): no soft opt-in (R2).
      customer: { restricted: state.restricted, fullDirectoryBan: state.ban === 'full', activeContract: false },
      ledger: state.ledger,
    };
  }

  /**
   * Every answer the contract allows from a state that includes all changes acknowledged before `asOf`. It may
   * include later ones too, up to the moment the question was asked (a state is complete *as of* asOf, and may be
   * newer): changes acknowledged after asOf, or sent before it and acknowledged later, may or may not be applied —
   * in order within their aggregate, since each aggregate's events are consumed in order.
   */
  possibleAnswers(
    identifier: Identifier,
    channel: Channel,
    purpose: Purpose,
    asOf: number,
    askedAt: number,
  ): Set<Answer> {
    const maybe = this.changes.filter((c) => c.ackAt >= asOf && c.sentAt < askedAt).sort((a, b) => a.sentAt - b.sentAt);
    const byAggregate = new Map<string, Change[]>();
    for (const c of maybe) byAggregate.set(c.aggregate, [...(byAggregate.get(c.aggregate) ?? []), c]);
    // Each aggregate contributes a prefix of its pending changes: every combination of prefix lengths.
    let combos: Change[][] = [[]];
    for (const changes of byAggregate.values()) {
      const next: Change[][] = [];
      for (const combo of combos)
        for (let k = 0; k <= changes.length; k++) next.push([...combo, ...changes.slice(0, k)]);
      combos = next.length > 256 ? next.slice(0, 256) : next;
    }
    const answers = new Set<Answer>();
    for (const extra of combos) {
      answers.add(expectedDecision(this.facts(this.fold(asOf, extra), identifier), channel, purpose));
    }
    return answers;
  }
}

export interface CheckRecord {
  phase: string;
  subject: number;
  identifier: IdentifierKind;
  channel: Channel;
  purpose: Purpose;
  sentAt: number;
  status: number;
  error?: string;
  decision?: Answer;
  asOf?: number;
  verdict: 'ok' | 'unavailable' | 'wrong-allow' | 'stale-allow' | 'stale-suppress' | 'bad-status';
}

export interface WorkloadStats {
  writes: number;
  writesByType: Record<string, number>;
  attempts: number;
  retriedAttempts: number;
  retryReasons: Record<string, number>;
  rejected: number;
  gaveUp: number;
  creates: number;
  checks: number;
  checkAnswers: Record<string, number>;
  verdicts: Record<string, number>;
  maxStaleAllowMs: number;
  /** ms from a write's first attempt to its acknowledgement, per op type */
  latencies: Record<string, number[]>;
}

type Op =
  | { type: 'create' }
  | {
      type: 'consent';
      target: IdentifierKind;
      channel: LedgerChannel;
      purpose: LedgerPurpose;
      decision: LedgerDecision;
    }
  | { type: 'ban-set'; scope: 'full' | 'partial' }
  | { type: 'ban-lift' }
  | { type: 'update'; name: string; addEmail?: string }
  | { type: 'restrict' }
  | { type: 'lift-restriction' }
  | { type: 'erase' };

const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)];

/** The parts of a 2xx answer the model uses: a new customer's id, a ledger entry's id, time and sequence. */
interface AckBody {
  id?: string;
  entryId?: string;
  recordedAt?: string;
  sequence?: number;
}
const STAFF = 'staff';

export interface WorkloadOptions {
  urls: () => Urls;
  keys: { staff: string; marketing: string };
  log: (msg: string) => void;
  /** How long a write is retried before the client gives up (its outcome then stays unknown). */
  writeDeadlineMs?: number;
}

/**
 * The steady mixed write load and the checker. Writes are retried on 5xx and connection errors, as a real
 * client would, and count once acknowledged; every check answer is judged immediately against the model.
 */
export class Workload {
  readonly subjects: Subject[] = [];
  readonly checks: CheckRecord[] = [];
  readonly wrongAllows: CheckRecord[] = [];
  readonly rejections: string[] = [];
  phase = 'setup';
  lastAckAt = 0;
  private erasures = 0;
  readonly stats: WorkloadStats = {
    writes: 0,
    writesByType: {},
    attempts: 0,
    retriedAttempts: 0,
    retryReasons: {},
    rejected: 0,
    gaveUp: 0,
    creates: 0,
    checks: 0,
    checkAnswers: {},
    verdicts: {},
    maxStaleAllowMs: 0,
    latencies: {},
  };

  constructor(private readonly options: WorkloadOptions) {}

  private get urls(): Urls {
    return this.options.urls();
  }

  private auth(role: 'staff' | 'marketing') {
    return { Authorization: `Bearer ${this.options.keys[role]}` };
  }

  addBareSubjects(count: number): void {
    for (let i = 0; i < count; i++) this.subjects.push(new Subject(this.subjects.length, 'bare', uniqueEmail('bare')));
  }

  async createCustomer(): Promise<Subject | undefined> {
    const subject = new Subject(this.subjects.length, 'customer', uniqueEmail('cust'), uniquePhone());
    this.subjects.push(subject);
    subject.busy = true;
    try {
      await this.perform(subject, { type: 'create' });
    } finally {
      subject.busy = false;
    }
    return subject.customerId ? subject : undefined;
  }

  /** One random write to one idle subject (or a new customer now and then). */
  async writeOnce(): Promise<void> {
    if (randomInt(100) < 3) {
      await this.createCustomer();
      return;
    }
    const idle = this.subjects.filter(
      (s) => !s.busy && !s.retired && (s.kind === 'bare' || s.customerId) && !s.state.erased,
    );
    if (idle.length === 0) return;
    const subject = pick(idle);
    const op = this.chooseOp(subject);
    subject.busy = true;
    try {
      await this.perform(subject, op);
    } finally {
      subject.busy = false;
    }
  }

  private chooseOp(subject: Subject): Op {
    const consent = (): Op => ({
      type: 'consent',
      target:
        subject.kind === 'bare'
          ? 'email'
          : pick<IdentifierKind>(['customerId', 'customerId', 'email', 'email', 'phone']),
      channel: pick(LEDGER_CHANNELS),
      purpose: pick(LEDGER_PURPOSES),
      decision: pick<LedgerDecision>([
        'grant',
        'grant',
        'grant',
        'withdraw',
        'withdraw',
        'withdraw',
        'prohibit',
        'lift-prohibition',
        'lift-prohibition',
      ]),
    });
    if (subject.kind === 'bare') return consent();
    const state = subject.state;
    const r = randomInt(100);
    const ban = (): Op =>
      state.ban === 'full'
        ? randomInt(10) < 6
          ? { type: 'ban-lift' }
          : { type: 'ban-set', scope: 'partial' }
        : { type: 'ban-set', scope: randomInt(10) < 7 ? 'full' : 'partial' };
    // Consents dominate, as in production; customer writes are the costliest on FerretDB.
    if (state.restricted) {
      if (r < 65) return consent();
      if (r < 80) return ban();
      return { type: 'lift-restriction' };
    }
    if (r < 64) return consent();
    if (r < 76) return ban();
    if (r < 84)
      return {
        type: 'update',
        name: `Testi ${randomInt(1_000_000)}`,
        addEmail: randomInt(5) === 0 ? uniqueEmail('extra') : undefined,
      };
    if (r < 97 || this.erasures >= Math.max(3, Math.floor(this.subjects.length * 0.08))) return { type: 'restrict' };
    this.erasures++;
    return { type: 'erase' };
  }

  /** Sends an op until it is acknowledged (or proven applied), retrying 5xx and connection errors. */
  private async perform(subject: Subject, op: Op): Promise<void> {
    const firstSentAt = Date.now();
    const deadline = firstSentAt + (this.options.writeDeadlineMs ?? 120_000);
    let uncertain = false; // an earlier attempt may have been applied
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt - 1, 5)));
        if (Date.now() > deadline) break;
      }
      if (op.type === 'create' && uncertain) {
        // Did the lost attempt create the customer? Look it up before creating another one.
        const found = await http<{ id: string }[]>(
          'GET',
          `${this.urls.customers}/v1/customers?email=${encodeURIComponent(subject.primaryEmail)}`,
          {
            headers: this.auth(STAFF),
          },
        );
        if (found.status !== 200) continue;
        if (found.body.length > 0) {
          // Found in the read model, which is written before the event is published: applied, not confirmed.
          this.acknowledge(subject, op, firstSentAt, found.receivedAt, { id: found.body[0].id }, false);
          return;
        }
        subject.duplicateRisk = true;
      }
      this.stats.attempts++;
      const res = await this.send(subject, op);
      const outcome = this.classify(op, res, attempt > 0 && uncertain);
      if (outcome === 'ack' || outcome === 'proven') {
        this.acknowledge(subject, op, firstSentAt, res.receivedAt, res.body, outcome === 'ack');
        return;
      }
      if (outcome === 'retry') {
        this.stats.retriedAttempts++;
        const reason = res.status === 0 ? (res.error ?? 'network') : String(res.status);
        this.stats.retryReasons[reason] = (this.stats.retryReasons[reason] ?? 0) + 1;
        // A refused connection never reached the service; anything else may have been applied.
        if (!(res.status === 0 && res.error === 'ECONNREFUSED')) uncertain = true;
        continue;
      }
      this.stats.rejected++;
      if (this.rejections.length < 20)
        this.rejections.push(`${op.type} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      return;
    }
    // Gave up: the outcome is unknown. The subject keeps the op as "maybe applied" forever and gets no more writes.
    this.stats.gaveUp++;
    subject.retired = true;
    if (uncertain && op.type !== 'create') {
      subject.changes.push({
        what: op.type,
        aggregate: aggregateOf(op),
        sentAt: firstSentAt,
        ackAt: Number.POSITIVE_INFINITY,
        apply: this.effect(subject, op, undefined),
      });
    }
    this.options.log(
      `gave up on ${op.type} for subject ${subject.index} after ${Math.round((Date.now() - firstSentAt) / 1000)} s`,
    );
  }

  private send(subject: Subject, op: Op): Promise<HttpResult<AckBody>> {
    const headers = this.auth(STAFF);
    const id = subject.customerId ?? '';
    const { customers, consents } = this.urls;
    const bans = this.urls['directory-bans'];
    switch (op.type) {
      case 'create':
        return http('POST', `${customers}/v1/customers`, {
          headers,
          body: {
            kind: 'person',
            name: `Testi Henkilö ${subject.index}`,
            emails: [subject.primaryEmail],
            phones: [subject.phone],
            activeContract: false,
          },
        });
      case 'consent': {
        const target =
          op.target === 'customerId'
            ? { customerId: id }
            : op.target === 'email'
              ? { email: subject.primaryEmail }
              : { phone: subject.phone };
        return http('POST', `${consents}/v1/consents`, {
          headers,
          body: { ...target, channel: op.channel, purpose: op.purpose, decision: op.decision, source: 'fault-test' },
        });
      }
      case 'ban-set':
        return http('PUT', `${bans}/v1/directory-bans/${id}`, {
          headers,
          body: op.scope === 'full' ? { scope: 'full' } : { scope: 'partial', hiddenFields: ['address'] },
        });
      case 'ban-lift':
        return http('DELETE', `${bans}/v1/directory-bans/${id}`, { headers });
      case 'update': {
        const body: Record<string, unknown> = { name: op.name };
        if (op.addEmail) body.emails = [...subject.state.emails, op.addEmail];
        return http('PATCH', `${customers}/v1/customers/${id}`, { headers, body });
      }
      case 'restrict':
        return http('PUT', `${customers}/v1/customers/${id}/restriction`, { headers, body: { reason: 'fault test' } });
      case 'lift-restriction':
        return http('DELETE', `${customers}/v1/customers/${id}/restriction`, { headers });
      case 'erase':
        return http('DELETE', `${customers}/v1/customers/${id}`, { headers });
    }
  }

  /** ack: applied (2xx); proven: applied by an earlier attempt; retry: transient; reject: refused for good. */
  private classify(op: Op, res: HttpResult, retryAfterUnknown: boolean): 'ack' | 'proven' | 'retry' | 'reject' {
    if (res.status === 0 || res.status >= 500 || res.status === 429) return 'retry';
    if (res.status >= 200 && res.status < 300) return 'ack';
    // A retry of a change that an earlier, unanswered attempt already made: the answer proves it applied.
    if (retryAfterUnknown) {
      if (op.type === 'ban-lift' && res.status === 404) return 'proven';
      if (op.type === 'erase' && res.status === 404) return 'proven';
      if ((op.type === 'restrict' || op.type === 'lift-restriction') && res.status === 409) return 'proven';
    }
    // Optimistic concurrency lost to a concurrent writer (e.g. the relay's projector): try again.
    if (res.status === 409 && (res.body as { type?: string })?.type?.includes('concurrent')) return 'retry';
    return 'reject';
  }

  private acknowledge(
    subject: Subject,
    op: Op,
    sentAt: number,
    ackAt: number,
    body: AckBody | undefined,
    confirmed: boolean,
  ): void {
    if (op.type === 'create') {
      subject.customerId = body?.id;
      this.stats.creates++;
    }
    const aggregate = aggregateOf(op);
    if (confirmed) {
      // This change's event is on Kafka, so every earlier event of the same aggregate is too.
      for (const c of subject.changes) {
        if (c.unconfirmed && c.aggregate === aggregate) {
          c.unconfirmed = false;
          c.ackAt = ackAt;
        }
      }
    }
    subject.changes.push({
      what: op.type,
      aggregate,
      sentAt,
      ackAt: confirmed ? ackAt : Number.POSITIVE_INFINITY,
      unconfirmed: !confirmed,
      apply: this.effect(subject, op, body),
    });
    this.stats.writes++;
    this.stats.writesByType[op.type] = (this.stats.writesByType[op.type] ?? 0) + 1;
    (this.stats.latencies[op.type] ??= []).push(ackAt - sentAt);
    this.lastAckAt = Math.max(this.lastAckAt, ackAt);
  }

  private effect(subject: Subject, op: Op, body: AckBody | undefined): (s: SubjectState) => void {
    switch (op.type) {
      case 'create':
        return (s) => {
          s.created = true;
          s.emails = [subject.primaryEmail];
          s.phones = subject.phone ? [subject.phone] : [];
        };
      case 'consent': {
        // The acknowledged entry carries its recordedAt and sequence; an unknown outcome gets "now".
        const at = body?.recordedAt ? Date.parse(body.recordedAt) : Date.now();
        const entry: ExpectedLedgerEntry = {
          channel: op.channel,
          purpose: op.purpose,
          decision: op.decision,
          at,
          sequence: body?.sequence ?? 0,
        };
        const entryId: string | undefined = body?.entryId;
        return (s) => {
          s.ledger.push(entry);
          if (entryId) s.entryIds.push(entryId);
        };
      }
      case 'ban-set':
        return (s) => void (s.ban = op.scope);
      case 'ban-lift':
        return (s) => void (s.ban = 'none');
      case 'update':
        return (s) => {
          if (op.addEmail && !s.emails.includes(op.addEmail)) s.emails.push(op.addEmail);
        };
      case 'restrict':
        return (s) => void (s.restricted = true);
      case 'lift-restriction':
        return (s) => void (s.restricted = false);
      case 'erase':
        return (s) => void (s.erased = true);
    }
  }

  /** One check of a random idle subject, judged against the model at the answer's `asOf`. */
  async checkOnce(): Promise<void> {
    const idle = this.subjects.filter((s) => !s.busy && (s.kind === 'bare' || s.customerId));
    if (idle.length === 0) return;
    const subject = pick(idle);
    const identifier = pick(subject.identifiers());
    const [channel, purpose] = pick(PAIRS);
    subject.busy = true;
    try {
      const query = new URLSearchParams({ channel, purpose, [identifier.kind]: identifier.value });
      const res = await http<{ decision?: Answer; asOf?: string }>(
        'GET',
        `${this.urls.suppression}/v1/suppression/check?${query.toString()}`,
        {
          headers: this.auth('marketing'),
          timeoutMs: 5000,
        },
      );
      this.stats.checks++;
      const answerKey = res.status === 0 ? `error:${res.error}` : String(res.status);
      this.stats.checkAnswers[answerKey] = (this.stats.checkAnswers[answerKey] ?? 0) + 1;
      const record: CheckRecord = {
        phase: this.phase,
        subject: subject.index,
        identifier: identifier.kind,
        channel,
        purpose,
        sentAt: res.sentAt,
        status: res.status,
        error: res.error,
        verdict: 'ok',
      };
      if (res.status === 200 && res.body?.decision && res.body.asOf) {
        record.decision = res.body.decision;
        record.asOf = Date.parse(res.body.asOf);
        // The contract: the answer reflects every change acknowledged before its asOf.
        const allowed = subject.possibleAnswers(identifier, channel, purpose, record.asOf, res.sentAt);
        if (!allowed.has(record.decision)) {
          record.verdict = record.decision === 'allow' ? 'wrong-allow' : 'stale-suppress';
          if (record.decision === 'allow') this.wrongAllows.push(record);
        } else {
          // Within the staleness bound the answer may miss changes acknowledged after asOf but before it was asked.
          const now = subject.possibleAnswers(identifier, channel, purpose, res.sentAt, res.sentAt);
          if (!now.has(record.decision)) {
            record.verdict = record.decision === 'allow' ? 'stale-allow' : 'stale-suppress';
            if (record.decision === 'allow')
              this.stats.maxStaleAllowMs = Math.max(this.stats.maxStaleAllowMs, res.sentAt - record.asOf);
          }
        }
      } else if (res.status === 503 || res.status === 0) {
        record.verdict = 'unavailable';
      } else {
        record.verdict = 'bad-status';
      }
      this.stats.verdicts[record.verdict] = (this.stats.verdicts[record.verdict] ?? 0) + 1;
      this.checks.push(record);
    } finally {
      subject.busy = false;
    }
  }

  describeSubject(index: number): string {
    const s = this.subjects[index];
    return `subject ${index} (${s.kind}${s.customerId ? ` ${s.customerId}` : ''}): ${s.changes
      .map(
        (c) =>
          `${c.what}@${c.ackAt === Number.POSITIVE_INFINITY ? '?' : new Date(c.ackAt).toISOString().slice(11, 23)}`,
      )
      .join(', ')}`;
  }
}

/** Runs `task` about `rate` times a second with at most `maxInFlight` at once, until `stop()`. */
/** Which aggregate (and so which ordered stream of events) a write lands in. */
function aggregateOf(op: Op): string {
  switch (op.type) {
    case 'consent':
      return `ledger:${op.target}`;
    case 'ban-set':
    case 'ban-lift':
      return 'ban';
    case 'create':
    case 'update':
    case 'restrict':
    case 'lift-restriction':
    case 'erase':
      return 'customer';
  }
}

export async function pump(
  rate: number,
  maxInFlight: number,
  stop: () => boolean,
  task: () => Promise<void>,
  onError: (e: unknown) => void,
): Promise<void> {
  const interval = 1000 / rate;
  let next = Date.now();
  const inFlight = new Set<Promise<void>>();
  while (!stop()) {
    if (inFlight.size >= maxInFlight) {
      await Promise.race(inFlight);
      continue;
    }
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    next = Math.max(next + interval, Date.now() - 1000);
    const p: Promise<void> = task()
      .catch(onError)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}
