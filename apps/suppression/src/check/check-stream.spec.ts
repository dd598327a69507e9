import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Decision } from '../engine';
import { CheckStream, MAX_LINE_LENGTH } from './check-stream';
import type { Contact } from './contact-reader';

const allow: Decision = { decision: 'allow', reasons: [] };
const suppress: Decision = {
  decision: 'suppress',
  reasons: [{ code: 'no-consent', rule: 'R1', source: 'Act 917/2014 §200(1)', since: null }],
};

/** Runs the stream over the given input chunks; decides "allow" for hashed contacts, "suppress" otherwise. */
async function run(
  chunks: (string | Buffer)[],
  hashedOnly = false,
  isFresh?: () => boolean | Promise<boolean>,
): Promise<{ lines: unknown[]; seen: Contact[] }> {
  const seen: Contact[] = [];
  const stream = new CheckStream({
    hashedOnly,
    isFresh,
    decide: (contact) => {
      seen.push(contact);
      return contact.field.endsWith('Hash') ? allow : suppress;
    },
  });
  let out = '';
  await pipeline(
    Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))),
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out += chunk.toString('utf8');
        callback();
      },
    }),
  );
  return {
    lines: out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as unknown),
    seen,
  };
}

const HASH = 'f'.repeat(64);

describe(CheckStream.name, () => {
  it('answers one line per non-blank input line, in order, whatever the chunking', async () => {
    const input = `{"ref":1,"email":"A@Example.fi"}\r\n\n{"ref":"two","emailHash":"${HASH}"}\n{"ref":3,"phone":"040 123 4567"}`;
    const whole = await run([input]);
    // every possible split into two chunks gives the same answers
    for (let cut = 1; cut < input.length; cut += 7) {
      expect(await run([input.slice(0, cut), input.slice(cut)])).toEqual(whole);
    }
    expect(whole.lines).toEqual([
      { ref: 1, decision: 'suppress', reasons: suppress.reasons },
      { ref: 'two', decision: 'allow', reasons: [] },
      { ref: 3, decision: 'suppress', reasons: suppress.reasons },
    ]);
    expect(whole.seen.map((c) => c.value)).toEqual(['a@example.fi', HASH, '+358401234567']);
  });

  it('keeps a multi-byte character split across chunks intact', async () => {
    const bytes = Buffer.from('{"ref":"äiti","email":"öljy@example.fi"}\n');
    const split = bytes.indexOf(Buffer.from('ä')) + 1;
    const { lines, seen } = await run([bytes.subarray(0, split), bytes.subarray(split)]);
    expect(lines).toEqual([{ ref: 'äiti', decision: 'suppress', reasons: suppress.reasons }]);
    expect(seen[0].value).toBe('öljy@example.fi');
  });

  it('answers a bad line with its number and goes on', async () => {
    const { lines } = await run([
      '{"ref":1,"email":"nope"}\n',
      'nonsense\n',
      '{"ref":3}\n',
      `{"ref":4,"emailHash":"${HASH}"}\n`,
    ]);
    expect(lines).toEqual([
      { ref: 1, line: 1, error: 'email must be a valid e-mail address' },
      { line: 2, error: 'line is not valid JSON' },
      { ref: 3, line: 3, error: expect.stringMatching(/exactly one of/) },
      { ref: 4, decision: 'allow', reasons: [] },
    ]);
  });

  it('refuses clear identifiers line by line for partners', async () => {
    const { lines, seen } = await run([`{"ref":1,"email":"a@example.fi"}\n{"ref":2,"phoneHash":"${HASH}"}\n`], true);
    expect(lines).toEqual([
      { ref: 1, line: 1, error: expect.stringMatching(/hashed identifiers only/) },
      { ref: 2, decision: 'allow', reasons: [] },
    ]);
    expect(seen).toHaveLength(1);
  });

  it('skips an over-long line with an error, without holding it in memory', async () => {
    const long = 'x'.repeat(MAX_LINE_LENGTH + 10);
    const { lines } = await run([
      `{"ref":1,"emailHash":"${HASH}"}\n`,
      long.slice(0, 9000),
      long.slice(9000),
      '\n',
      `{"ref":3,"emailHash":"${HASH}"}`,
    ]);
    expect(lines).toEqual([
      { ref: 1, decision: 'allow', reasons: [] },
      { line: 2, error: expect.stringMatching(/longer than/) },
      { ref: 3, decision: 'allow', reasons: [] },
    ]);
  });

  it('ends the answer with an error line when the list turns stale mid-stream, and checks nothing after', async () => {
    let fresh = true;
    const chunks = [
      '{"ref":1,"email":"a@example.fi"}\n{"ref":2,"email":"b@example.fi"}\n',
      '{"ref":3,"email":"c@example.fi"}\n',
      '{"ref":4,"email":"d@example.fi"}\n',
    ];
    // Staleness is decided before each chunk: the second chunk finds the list stale.
    const { lines, seen } = await run(chunks, false, () => {
      const now = fresh;
      fresh = false;
      return now;
    });
    expect(seen.map((c) => c.ref)).toEqual([1, 2]);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toEqual({ line: 3, error: expect.stringMatching(/not checked/), type: 'stale-suppression-state' });
  });

  it('waits for a confirmation with Kafka before ending: a watermark that only lagged lets the stream go on', async () => {
    const chunks = ['{"ref":1,"email":"a@example.fi"}\n', '{"ref":2,"email":"b@example.fi"}\n'];
    // The second chunk finds the watermark older than the bound; Kafka confirms the list complete (issue 20).
    let asked = 0;
    const { lines, seen } = await run(chunks, false, () => (++asked === 1 ? true : Promise.resolve(true)));
    expect(seen.map((c) => c.ref)).toEqual([1, 2]);
    expect(lines).toEqual([
      { ref: 1, decision: 'suppress', reasons: suppress.reasons },
      { ref: 2, decision: 'suppress', reasons: suppress.reasons },
    ]);
  });

  it('ends the answer as stale when the confirmation does not show the list complete, or fails', async () => {
    const chunks = ['{"ref":1,"email":"a@example.fi"}\n', '{"ref":2,"email":"b@example.fi"}\n'];
    for (const unconfirmed of [() => Promise.resolve(false), () => Promise.reject(new Error('broker down'))]) {
      let asked = 0;
      const { lines, seen } = await run(chunks, false, () => (++asked === 1 ? true : unconfirmed()));
      expect(seen.map((c) => c.ref)).toEqual([1]);
      expect(lines[1]).toEqual({
        line: 2,
        error: expect.stringMatching(/not checked/),
        type: 'stale-suppression-state',
      });
    }
  });
});
