/**
 * A postal identity (a person's name with a Finnish postal address), normalised so that the same person at the same
 * address gives the same text however it was typed, and matched by keyed hash like e-mail addresses and phone
 * numbers (README "Postal identities" documents the rules with examples; `postal.spec.ts` holds them).
 *
 * - Case: lower-cased; `å`, `ä`, `ö` (and every other letter) kept as they are, in Unicode NFC.
 * - Whitespace: trimmed and collapsed to one space; punctuation (`.,;:'"()/`) becomes a space, a hyphen between
 *   letters is kept (`Mäki-Petäjä`), one between digits or around a letter and a digit is a space.
 * - Name: its words in alphabetical order (`Virtanen Matti` = `Matti Virtanen`).
 * - Street: a number glued to a letter is split (`12B34` → `12 b 34`); the abbreviations `k.`/`k` at a street name's
 *   end (`Kauppak.`) → `katu`, `t.` → `tie`, `as.`/`as`/`asunto` → `as`, `rappu`/`porras`/`rap.` before or after a
 *   staircase letter are dropped (`B-rappu 5` = `B 5`), `krs`/`kerros` with the floor number and what follows
 *   dropped (`8 a 12, 3. krs` = `8 a 12`); an `as` between a staircase letter and the flat number is dropped.
 * - Postal code: exactly five digits. City: not part of the identity (the postal code names the post office).
 *
 * The identity is `<name>|<street>|<postalCode>`; its keyed hash is that of `post:<identity>`, so that it can never
 * equal the hash of an e-mail address or a phone number.
 */
export interface PostalIdentityInput {
  name?: unknown;
  street?: unknown;
  postalCode?: unknown;
  city?: unknown;
}

export const POSTAL_FIELDS = ['name', 'street', 'postalCode', 'city'] as const;
export type PostalField = (typeof POSTAL_FIELDS)[number];

export const POSTAL_MESSAGES: Readonly<Record<PostalField, string>> = {
  name: 'name must be a non-empty name of at most 200 characters',
  street: 'street must be a street address with a house number, at most 200 characters',
  postalCode: 'postalCode must be five digits',
  city: 'city must be a string of at most 100 characters',
};

const POSTAL_CODE = /^\d{5}$/;

/** Lower case, NFC, punctuation to spaces, hyphens kept only between letters, whitespace collapsed. */
function words(text: string): string[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[.,;:'"()/\\]/g, ' ')
    .replace(/(?<!\p{L})-|-(?!\p{L})/gu, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** The normalised street, or null when it has no house number. */
export function normaliseStreet(street: string): string | null {
  // Abbreviations are recognised on the raw words (a dot marks them), before the dots go.
  const raw = street
    .normalize('NFC')
    .toLowerCase()
    .replace(/(\p{L})k\.(?=\s|\d|$)/gu, '$1katu ')
    .replace(/(\p{L})t\.(?=\s|\d|$)/gu, '$1tie ');
  const out: string[] = [];
  for (const word of words(raw)) {
    // Split numbers from letters (12b34 → 12 b 34) and a staircase word from its letter (a-rappu → a rappu).
    for (const part of word.split(/(?<=\d)(?=\p{L})|(?<=\p{L})(?=\d)|-(?=rappu|porras)/u)) {
      if (part === 'krs' || part === 'kerros') {
        // `3. krs`: the floor's number goes too, unless it is the house number.
        if (/^\d+$/.test(out.at(-1) ?? '') && out.slice(0, -1).some((w) => /^\d/.test(w))) out.pop();
        return finish(out);
      }
      if (part === 'as' || part === 'asunto') out.push('as');
      else if (part === 'rappu' || part === 'porras' || part === 'rap' || part === 'rk') continue;
      else out.push(part);
    }
  }
  return finish(out);
}

function finish(out: string[]): string | null {
  if (!out.some((w) => /^\d/.test(w))) return null;
  // A staircase letter followed by the flat number, with `as` between: `b as 5` = `b 5` (as marks the flat anyway).
  return out.join(' ').replace(/(^| )(\p{L}) as (?=\d)/gu, '$1$2 ');
}

export function normaliseName(name: string): string | null {
  const list = words(name);
  return list.length === 0 ? null : list.sort().join(' ');
}

/**
 * The normalised identity `<name>|<street>|<postalCode>`, or null after adding a message for each bad field (named
 * with `at`). `city` is validated but not part of the identity.
 */
export function normalisePostalIdentity(
  input: PostalIdentityInput,
  errors: { field: string; message: string }[],
  at: (field: PostalField) => string = (f) => f,
): string | null {
  const before = errors.length;
  const name =
    typeof input.name === 'string' && input.name.length <= 200 ? normaliseName(input.name) : (null as string | null);
  if (name === null) errors.push({ field: at('name'), message: POSTAL_MESSAGES.name });
  const street = typeof input.street === 'string' && input.street.length <= 200 ? normaliseStreet(input.street) : null;
  if (street === null) errors.push({ field: at('street'), message: POSTAL_MESSAGES.street });
  const code = typeof input.postalCode === 'string' ? input.postalCode.trim() : '';
  if (!POSTAL_CODE.test(code)) errors.push({ field: at('postalCode'), message: POSTAL_MESSAGES.postalCode });
  if (input.city !== undefined && (typeof input.city !== 'string' || input.city.length > 100)) {
    errors.push({ field: at('city'), message: POSTAL_MESSAGES.city });
  }
  return errors.length === before ? `${name}|${street}|${code}` : null;
}

/** The text whose keyed hash identifies a postal identity (never equal to a normalised e-mail or phone). */
export const postalHashInput = (identity: string) => `post:${identity}`;
