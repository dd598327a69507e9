import {
  CloudEventV1,
  DIRECTORY_BAN_EVENT_TYPES,
  DirectoryField,
  DirectoryOutlet,
  isEventOfType,
} from '@kielto/contracts';
import { DirectoryBan, DirectoryBanChange } from './directory-ban.types';

/** What a ban event means for the customer's current ban: the ban now in force, or lifted. */
export type BanState =
  | { customerId: string; sequence: number; active: true; ban: DirectoryBan }
  | { customerId: string; sequence: number; active: false; liftedAt: string; liftedBy?: string };

export function banStateOf(event: CloudEventV1): BanState | undefined {
  if (isEventOfType(event, DIRECTORY_BAN_EVENT_TYPES.set)) {
    const d = event.data;
    const ban: DirectoryBan = {
      customerId: d.customerId,
      scope: d.scope,
      hiddenFields: [...d.hiddenFields],
      outlets: [...d.outlets],
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
      ...(d.setBy !== undefined ? { setBy: d.setBy } : {}),
      since: d.since,
      sequence: event.sequence,
    };
    return { customerId: d.customerId, sequence: event.sequence, active: true, ban };
  }
  if (isEventOfType(event, DIRECTORY_BAN_EVENT_TYPES.lifted)) {
    const d = event.data;
    return {
      customerId: d.customerId,
      sequence: event.sequence,
      active: false,
      liftedAt: d.liftedAt,
      ...(d.liftedBy !== undefined ? { liftedBy: d.liftedBy } : {}),
    };
  }
  return undefined;
}

function changeOf(event: CloudEventV1): DirectoryBanChange | undefined {
  const state = banStateOf(event);
  if (!state) return undefined;
  if (state.active) {
    const { scope, hiddenFields, outlets, reason, setBy, since } = state.ban;
    return {
      sequence: state.sequence,
      change: 'set',
      at: since,
      ...(setBy !== undefined ? { by: setBy } : {}),
      ...(reason !== undefined ? { reason } : {}),
      scope,
      hiddenFields,
      outlets,
    };
  }
  const reason = isEventOfType(event, DIRECTORY_BAN_EVENT_TYPES.lifted) ? event.data.reason : undefined;
  return {
    sequence: state.sequence,
    change: 'lifted',
    at: state.liftedAt,
    ...(state.liftedBy !== undefined ? { by: state.liftedBy } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

/** Folds a customer's ban events (in sequence order) into the ban in force and the history of changes. */
export function foldBanHistory(events: readonly CloudEventV1[]): {
  current?: DirectoryBan;
  history: DirectoryBanChange[];
  lastSequence: number;
} {
  let current: DirectoryBan | undefined;
  const history: DirectoryBanChange[] = [];
  let lastSequence = 0;
  for (const event of events) {
    lastSequence = Math.max(lastSequence, event.sequence);
    const state = banStateOf(event);
    const change = changeOf(event);
    if (!state || !change) continue;
    current = state.active ? state.ban : undefined;
    history.push(change);
  }
  return { current, history, lastSequence };
}

/** The same ban content (replacing a ban with an identical one records nothing). */
export function sameBan(
  a: Pick<DirectoryBan, 'scope' | 'hiddenFields' | 'outlets' | 'reason'>,
  b: Pick<DirectoryBan, 'scope' | 'hiddenFields' | 'outlets' | 'reason'>,
): boolean {
  return (
    a.scope === b.scope &&
    a.reason === b.reason &&
    sameSet<DirectoryField>(a.hiddenFields, b.hiddenFields) &&
    sameSet<DirectoryOutlet>(a.outlets, b.outlets)
  );
}

function sameSet<T>(a: readonly T[], b: readonly T[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}
