import {
  CONSENT_DECISIONS,
  DIRECTORY_BAN_SCOPES,
  DIRECTORY_FIELDS,
  DIRECTORY_OUTLETS,
  LANGUAGES,
  LEDGER_CHANNELS,
  LEDGER_PURPOSES,
  PRODUCTS,
  REQUEST_CHANNELS,
  REQUEST_TYPES,
  ROLES,
} from '@kielto/contracts';
import { CATALOGUES, flatten, languageFromHeader, translator } from './messages';

describe('console message catalogue', () => {
  const keys = (lang: (typeof LANGUAGES)[number]) => [...flatten(CATALOGUES[lang]).keys()].sort();
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it.each(LANGUAGES)('%s has exactly the same keys as English', (lang) => {
    expect(keys(lang)).toEqual(keys('en'));
  });

  it.each(LANGUAGES)('%s: every text is non-empty and has the same {placeholders} as English', (lang) => {
    const words = flatten(CATALOGUES[lang]);
    for (const [key, english] of flatten(CATALOGUES.en)) {
      const text = words.get(key)!;
      expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
      expect({ key, placeholders: placeholders(text) }).toEqual({ key, placeholders: placeholders(english) });
    }
  });

  it('Finnish and Swedish are translations, not copies of English (apart from a few shared words)', () => {
    for (const lang of ['fi', 'sv'] as const) {
      const words = flatten(CATALOGUES[lang]);
      const same = [...flatten(CATALOGUES.en)].filter(([key, text]) => words.get(key) === text).map(([key]) => key);
      expect(same.length).toBeLessThan(8);
    }
  });

  it.each(LANGUAGES)('%s has a word for every value of the shared vocabularies the pages show', (lang) => {
    const words = flatten(CATALOGUES[lang]);
    const vocabularies: [string, readonly string[]][] = [
      ['channels', LEDGER_CHANNELS],
      ['purposes', LEDGER_PURPOSES],
      ['decisions', CONSENT_DECISIONS],
      ['roles', ROLES],
      ['products', PRODUCTS],
      ['actions.requestTypes', REQUEST_TYPES],
      ['actions.requestChannels', REQUEST_CHANNELS],
      ['actions.scopes', DIRECTORY_BAN_SCOPES],
      ['actions.fields', DIRECTORY_FIELDS],
      ['actions.outletNames', DIRECTORY_OUTLETS],
    ];
    const missing = vocabularies.flatMap(([group, values]) =>
      values.map((v) => `${group}.${v}`).filter((key) => !words.has(key)),
    );
    expect(missing).toEqual([]);
  });

  it('fills parameters and falls back to the key for unknown words', () => {
    const t = translator('fi');
    expect(t('requests.late', { days: 3 })).toBe('myöhässä 3 päivää');
    expect(t('reasons.something-new' as never)).toBe('reasons.something-new');
  });

  it('picks the first language of Accept-Language the console speaks, else Finnish', () => {
    expect(languageFromHeader('de-DE,sv;q=0.8,en;q=0.5')).toBe('sv');
    expect(languageFromHeader('en-GB')).toBe('en');
    expect(languageFromHeader(undefined)).toBe('fi');
  });
});
