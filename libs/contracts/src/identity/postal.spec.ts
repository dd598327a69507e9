import { normalisePostalIdentity, normaliseStreet, normaliseName } from './postal';

describe('postal identity normalisation', () => {
  it.each([
    // [as typed, normalised] — the README's table
    ['Mannerheimintie 12 B 34', 'mannerheimintie 12 b 34'],
    ['MANNERHEIMINTIE   12b34', 'mannerheimintie 12 b 34'],
    ['Mannerheimint. 12 B 34', 'mannerheimintie 12 b 34'],
    ['Hämeenk. 3 as. 5', 'hämeenkatu 3 as 5'],
    ['Hämeenkatu 3 asunto 5', 'hämeenkatu 3 as 5'],
    ['Hämeenkatu 3 as 5', 'hämeenkatu 3 as 5'],
    ['Åkerlundinkatu 8 A-rappu 12', 'åkerlundinkatu 8 a 12'],
    ['Åkerlundinkatu 8 a 12, 3. krs', 'åkerlundinkatu 8 a 12'],
    ['Åkerlundinkatu 8 A as. 12', 'åkerlundinkatu 8 a 12'],
    ['Pohjoisesplanadi 11-13', 'pohjoisesplanadi 11 13'],
    ['Yliopistonk. 1', 'yliopistonkatu 1'],
    ['Töölönkatu 3 C', 'töölönkatu 3 c'],
  ])('street %j → %j', (typed, normalised) => expect(normaliseStreet(typed)).toBe(normalised));

  it.each([['Kauppakatu'], [''], ['   '], ['krs 3']])('a street without a house number is refused: %j', (typed) =>
    expect(normaliseStreet(typed)).toBeNull(),
  );

  it.each([
    ['Matti Virtanen', 'matti virtanen'],
    ['VIRTANEN, Matti', 'matti virtanen'],
    ['  Anna-Liisa   Mäki-Petäjä ', 'anna-liisa mäki-petäjä'],
    ['Öberg Åsa', 'åsa öberg'],
  ])('name %j → %j', (typed, normalised) => expect(normaliseName(typed)).toBe(normalised));

  it('gives one identity for the same person and address however typed; the city is not part of it', () => {
    const a = normalisePostalIdentity(
      { name: 'Virtanen Matti', street: 'Hämeenk. 3 as. 5', postalCode: '33100', city: 'Tampere' },
      [],
    );
    const b = normalisePostalIdentity(
      { name: 'matti VIRTANEN', street: 'Hämeenkatu 3 asunto 5', postalCode: ' 33100 ' },
      [],
    );
    expect(a).toBe('matti virtanen|hämeenkatu 3 as 5|33100');
    expect(b).toBe(a);
  });

  it('names every bad field', () => {
    const errors: { field: string; message: string }[] = [];
    expect(
      normalisePostalIdentity(
        { name: ' ', street: 'Kauppakatu', postalCode: '3310', city: 7 },
        errors,
        (f) => `c.${f}`,
      ),
    ).toBeNull();
    expect(errors.map((e) => e.field)).toEqual(['c.name', 'c.street', 'c.postalCode', 'c.city']);
  });
});
