import { HttpStatus, Injectable } from '@nestjs/common';
import {
  DIRECTORY_BAN_EVENT_TYPES,
  DIRECTORY_FIELDS,
  DIRECTORY_OUTLETS,
  DirectoryBanLiftedV1,
  DirectoryBanSetV1,
  TOPICS,
} from '@kielto/contracts';
import {
  Actor,
  ConcurrentModificationError,
  EventLog,
  FieldError,
  fieldProblem,
  ProblemException,
} from '@kielto/platform';
import { foldBanHistory, sameBan } from './ban-history';
import { BansRepository } from './bans.repository';
import { DirectoryBan, DirectoryBanHistory, DirectoryBanPage, DirectoryBanWithHistory } from './directory-ban.types';
import { PutDirectoryBanDto } from './dto/put-directory-ban.dto';

const DEFAULT_PAGE_SIZE = 100;
const WRITE_ATTEMPTS = 5;

const noBan = () =>
  new ProblemException(HttpStatus.NOT_FOUND, 'directory-ban-not-found', 'The customer has no directory ban');

/** Canonical order and no duplicates, so that equal bans compare equal and read the same everywhere. */
const canonical = <T extends string>(values: readonly T[] | undefined, order: readonly T[]): T[] =>
  order.filter((v) => values?.includes(v));

/** A ban as a request asks for it, in canonical form; or why it is invalid (partial bans hide something, full ones nothing). */
export function wantedBan(
  input: PutDirectoryBanDto,
): Pick<DirectoryBan, 'scope' | 'hiddenFields' | 'outlets' | 'reason'> | { errors: FieldError[] } {
  const hiddenFields = canonical(input.hiddenFields, DIRECTORY_FIELDS);
  const outlets = canonical(input.outlets, DIRECTORY_OUTLETS);
  const reason = input.reason?.trim() || undefined;
  switch (input.scope) {
    case 'partial':
      if (hiddenFields.length === 0) {
        const message = `a partial ban must hide at least one of ${DIRECTORY_FIELDS.join(', ')}`;
        return { errors: [{ field: 'hiddenFields', message }] };
      }
      break;
    case 'full':
      if (hiddenFields.length > 0) {
        const message = 'a full ban withholds the whole listing; hiddenFields applies to partial bans only';
        return { errors: [{ field: 'hiddenFields', message }] };
      }
      break;
  }
  return { scope: input.scope, hiddenFields, outlets, reason };
}

/**
 * Directory-publication bans (R9). Each customer's bans are one aggregate of the event log: its events are
 * the history, the latest decides the ban in force. Writes are guarded by the aggregate's next sequence, so
 * two concurrent changes of one customer's ban cannot both be based on the same state.
 */
@Injectable()
export class BansService {
  constructor(
    private readonly eventLog: EventLog,
    private readonly repository: BansRepository,
  ) {}

  /** Sets (or replaces) the customer's ban. Replacing a ban with an identical one records nothing. */
  async set(customerId: string, input: PutDirectoryBanDto, actor: Actor): Promise<DirectoryBanWithHistory> {
    const wanted = wantedBan(input);
    if ('errors' in wanted) throw fieldProblem(wanted.errors[0].field, wanted.errors[0].message);
    const { hiddenFields, outlets, reason } = wanted;

    return this.withRetry(async () => {
      const events = await this.eventLog.history(TOPICS.directoryBans, customerId);
      const { current, history, lastSequence } = foldBanHistory(events);
      if (current && sameBan(current, wanted)) {
        // Already in force, perhaps set by a lost attempt: answer once it is on Kafka (issue 20).
        await this.eventLog.ensurePublished(TOPICS.directoryBans, customerId);
        return { ...current, history };
      }
      const since = new Date();
      const event = await this.eventLog.append<DirectoryBanSetV1>({
        topic: TOPICS.directoryBans,
        aggregateId: customerId,
        type: DIRECTORY_BAN_EVENT_TYPES.set,
        time: since,
        expectedSequence: lastSequence + 1,
        data: {
          customerId,
          scope: wanted.scope,
          hiddenFields,
          outlets,
          since: since.toISOString(),
          ...(reason !== undefined ? { reason } : {}),
          setBy: actor.keyId,
        },
      });
      const after = foldBanHistory([...events, event]);
      return { ...after.current!, history: after.history };
    });
  }

  /** The ban in force with the history of changes; 404 when the customer has none. */
  async get(customerId: string): Promise<DirectoryBanWithHistory> {
    const { current, history } = foldBanHistory(await this.eventLog.history(TOPICS.directoryBans, customerId));
    if (!current) throw noBan();
    return { ...current, history };
  }

  /** The history also after a ban was lifted; 404 only when the customer never had one. */
  async history(customerId: string): Promise<DirectoryBanHistory> {
    const { current, history } = foldBanHistory(await this.eventLog.history(TOPICS.directoryBans, customerId));
    if (history.length === 0) throw noBan();
    return { customerId, current: current ?? null, history };
  }

  /** Lifts the ban in force; 404 when there is none. */
  async lift(customerId: string, reason: string | undefined, actor: Actor): Promise<void> {
    const trimmed = reason?.trim() || undefined;
    await this.withRetry(async () => {
      const { current, lastSequence } = foldBanHistory(await this.eventLog.history(TOPICS.directoryBans, customerId));
      if (!current) throw noBan();
      const liftedAt = new Date();
      await this.eventLog.append<DirectoryBanLiftedV1>({
        topic: TOPICS.directoryBans,
        aggregateId: customerId,
        type: DIRECTORY_BAN_EVENT_TYPES.lifted,
        time: liftedAt,
        expectedSequence: lastSequence + 1,
        data: {
          customerId,
          liftedAt: liftedAt.toISOString(),
          ...(trimmed !== undefined ? { reason: trimmed } : {}),
          liftedBy: actor.keyId,
        },
      });
    });
  }

  async list(limit = DEFAULT_PAGE_SIZE, after?: string): Promise<DirectoryBanPage> {
    const items: DirectoryBan[] = await this.repository.list(limit, after);
    return { items, next: items.length === limit ? items[items.length - 1].customerId : null };
  }

  /** Another change of the same customer's ban won the race: decide again on the state it left. */
  private async withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 0; i < WRITE_ATTEMPTS; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ConcurrentModificationError)) throw error;
      }
    }
    throw new ProblemException(
      HttpStatus.CONFLICT,
      'concurrent-modification',
      "The customer's directory ban was changed by another request at the same time; try again",
    );
  }
}
