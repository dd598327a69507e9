import type { FieldError } from '@kielto/platform';
import { readContact } from './contact-reader';
import { readPlainLine } from './plain-line';

const HASH = 'a1'.repeat(32);

/** What the general path (JSON.parse + readContact) makes of a line: the contact and its ref's JSON, or undefined. */
function general(line: string): { contact: unknown; refJson: string } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const errors: FieldError[] = [];
  const contact = readContact(raw, '', errors);
  return contact ? { contact, refJson: JSON.stringify(contact.ref) } : undefined;
}

function plain(line: string) {
  // The line sits between others, as in a chunk: nothing past its end may be read.
  const text = `{"ref":0,"email":"before@example.fi"}\n${line}\n{"email":"after@example.fi"}`;
  const start = text.indexOf('\n') + 1;
  const found = readPlainLine(text, start, start + line.length);
  if (found === undefined) return undefined;
  const { refJson, ...contact } = found;
  return { contact, refJson };
}

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PIECES = [
  '{',
  '}',
  '"',
  ':',
  ',',
  ' ',
  '\t',
  '\r',
  '\\',
  '\\"',
  '\\u0041',
  '"ref"',
  '"email"',
  '"phone"',
  '"customerId"',
  '"emailHash"',
  '"phoneHash"',
  '"name"',
  '"__proto__"',
  '"Email"',
  '0',
  '7',
  '-1',
  '1.5',
  '1e3',
  '0123',
  '1234567890123456',
  '123456789012345',
  'null',
  'true',
  '[]',
  '"A@Example.fi"',
  '" a@example.fi "',
  '"nope"',
  '"040 123 4567"',
  '"+358401234567"',
  '"cust_1"',
  `"${HASH}"`,
  `"${HASH.toUpperCase()}"`,
  '"äiti"',
  '"😀"',
  '"\u2028"',
  `"${'r'.repeat(256)}"`,
  `"${'r'.repeat(257)}"`,
  '"\u0001"',
];

describe(readPlainLine.name, () => {
  it.each([
    ['{"email":"A@Example.fi"}'],
    ['{"ref":"1","email":"a@example.fi"}'],
    [' { "ref" : 12 , "phone" : "040 123 4567" } \r'],
    [`{"emailHash":"${HASH}","ref":"x"}`],
    ['{"customerId":"cust_1","ref":0}'],
    ['{"ref":"äiti","email":"öljy@example.fi"}'],
  ])('reads %s as the general path does', (line) => {
    const expected = general(line);
    expect(expected).toBeDefined();
    expect(plain(line)).toEqual(expected);
  });

  it.each([
    ['{"ref":"a\\"b","email":"a@example.fi"}'], // escapes
    ['{"email":"a@example.fi","email":"b@example.fi"}'], // repeated key: last one wins in JSON.parse
    ['{"ref":-1,"email":"a@example.fi"}'],
    ['{"ref":1.5,"email":"a@example.fi"}'],
    ['{"email":"nope"}'], // invalid: the general path words the error
    ['{"name":"A","street":"B","postalCode":"00100"}'],
    ['{"email":"a@example.fi"} x'],
    ['{}'],
    [''],
  ])('leaves %s to the general path', (line) => {
    expect(plain(line)).toBeUndefined();
  });

  it('never reads a line differently from JSON.parse + readContact (generated lines)', () => {
    const next = random(20261207);
    let read = 0;
    for (let n = 0; n < 200_000; n++) {
      const parts: string[] = [];
      // Mostly well-formed objects of one or two fields, with noise spliced in now and then.
      const fields = 1 + Math.floor(next() * 3);
      parts.push('{');
      for (let f = 0; f < fields; f++) {
        if (f > 0) parts.push(next() < 0.95 ? ',' : PIECES[Math.floor(next() * PIECES.length)]);
        parts.push(PIECES[11 + Math.floor(next() * 9)], next() < 0.1 ? ' : ' : ':');
        parts.push(PIECES[20 + Math.floor(next() * (PIECES.length - 20))]);
        if (next() < 0.05) parts.push(PIECES[Math.floor(next() * PIECES.length)]);
      }
      parts.push(next() < 0.95 ? '}' : PIECES[Math.floor(next() * PIECES.length)]);
      const line = parts.join('');
      const found = plain(line);
      if (found !== undefined) {
        read++;
        expect({ line, ...found }).toEqual({ line, ...general(line) });
      }
    }
    // The generator does reach the fast path often, or the comparison above proves nothing.
    expect(read).toBeGreaterThan(2_000);
  });
});
