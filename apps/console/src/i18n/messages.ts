import { Language, LANGUAGES } from '@kielto/contracts';
import { en } from './en';
import { fi } from './fi';
import { sv } from './sv';

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
/** The shape every language fills: English's keys, any words. */
export type Catalogue = Widen<typeof en>;

type Paths<T> = { [K in keyof T & string]: T[K] extends string ? K : `${K}.${Paths<T[K]>}` }[keyof T & string];
/** `login.title`, `channels.email`, …: every key a page may ask for, checked by the compiler. */
export type MessageKey = Paths<Catalogue>;

export const CATALOGUES: Record<Language, Catalogue> = { fi, sv, en };

/** Every key and its words, flattened (`a.b.c` → text). */
export function flatten(node: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value as object, path)) out.set(k, v);
  }
  return out;
}

const FLAT: Record<Language, Map<string, string>> = {
  fi: flatten(fi),
  sv: flatten(sv),
  en: flatten(en),
};

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/**
 * The words of one language. Keys that are not in the catalogue (a value from a service the console does not know
 * yet, like a new reason code) come back as the key itself, so a page never fails over a word.
 */
export function translator(lang: Language): Translate {
  const words = FLAT[lang];
  return (key, params) => {
    const text = words.get(key) ?? key;
    return params
      ? text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
      : text;
  };
}

/** A lookup by a value from a service (`channels.<value>`): falls back to the raw value, not the dotted key. */
export function wordFor(t: Translate, group: string, value: string): string {
  const key = `${group}.${value}` as MessageKey;
  const text = t(key);
  return text === key ? value : text;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The first of a list of language tags (an Accept-Language header, a `locale` claim) the console speaks. */
export function spokenLanguage(tags: string | undefined): Language | undefined {
  for (const part of (tags ?? '').split(',')) {
    const tag = part.split(';')[0].trim().toLowerCase().slice(0, 2);
    if (isLanguage(tag)) return tag;
  }
  return undefined;
}

/** The first of the browser's languages the console speaks, else Finnish. */
export function languageFromHeader(header: string | undefined): Language {
  return spokenLanguage(header) ?? 'fi';
}
