import { createHash } from 'node:crypto';
import type { ContactPerson } from './customer-record';

/** A contact person as given in a request: everything but the id, which the service keeps. */
export type NewContactPerson = Omit<ContactPerson, 'id'>;

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Gives each contact person of a rectification the id of the person it replaces (R3: a contact person is a subject
 * of their own, whose refusals and holding times follow them). A previous person is matched by the same e-mail,
 * else by the same phone, else by the same name; each previous person at most once, and the passes run in that
 * order over the whole list, so a weaker match can never take a person that a stronger one names. Unmatched
 * persons get a new id.
 */
export function assignContactPersonIds(
  previous: readonly ContactPerson[],
  given: readonly NewContactPerson[],
  newId: () => string,
): ContactPerson[] {
  const ids: (string | undefined)[] = given.map(() => undefined);
  const free = new Set(previous);
  const pass = (matches: (p: ContactPerson, g: NewContactPerson) => boolean) => {
    given.forEach((person, i) => {
      if (ids[i] !== undefined) return;
      const match = [...free].find((p) => matches(p, person));
      if (!match) return;
      ids[i] = match.id;
      free.delete(match);
    });
  };
  pass((p, g) => g.email !== undefined && p.email === g.email);
  pass((p, g) => g.phone !== undefined && p.phone === g.phone);
  pass((p, g) => sameName(p.name, g.name));
  return given.map((person, i) => ({ id: ids[i] ?? newId(), ...person }));
}

/**
 * The id of a contact person stored before contract v1.1 (which kept none): derived from the customer id and the
 * person's position, so it stays the same on every read until the next rectification stores it.
 */
export function legacyContactPersonId(customerId: string, index: number): string {
  const hex = createHash('sha256').update(`${customerId}:contact-person:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
