import 'reflect-metadata';
import { EVENT_EXAMPLES, EVENT_PAYLOAD_CLASSES } from '@kielto/contracts';
import {
  FastEventValidators,
  fastEventValidators,
  isRealCanonicalTime,
  parseEvent,
  validateEvent,
} from './event-parser';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in a JSON document. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as Record<string, Json>)[k as string], [...prefix, k]))];
}

function withValue(doc: Json, path: (string | number)[], replace: (old: Json) => Json | undefined): Json {
  const copy = structuredClone(doc);
  if (path.length === 0) return replace(copy) ?? null;
  let parent = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  const last = path[path.length - 1];
  const next = replace(parent[last]);
  if (next === undefined) delete parent[last];
  else parent[last] = next;
  return copy;
}

/** Values a hostile or buggy producer might put anywhere. */
const MUTATIONS: ((old: Json) => Json | undefined)[] = [
  () => undefined,
  () => null,
  () => '',
  () => ' ',
  () => 'x',
  () => '\uFE0F',
  () => 0,
  () => -1,
  () => 1.5,
  () => true,
  () => [],
  () => ({}),
  () => '2025-13-45T99:00:00Z',
  () => '2025-03-01',
  () => '2025-02-30T10:00:00.000Z',
  () => '2024-02-29T23:59:59.999Z',
  () => '2025-03-01T24:00:00.000Z',
  () => 'a'.repeat(64),
  () => 'A'.repeat(64),
  () => 'a'.repeat(5000),
  (old) => (typeof old === 'string' ? `${old} ` : old),
  (old) => (typeof old === 'string' ? old.toUpperCase() : old),
  (old) => (typeof old === 'number' ? old + 0.5 : old),
  (old) => (typeof old === 'number' ? -old : old),
  (old) => (Array.isArray(old) ? [...old, ...old] : old),
  (old) => (Array.isArray(old) ? [] : old),
  (old) => (old && typeof old === 'object' && !Array.isArray(old) ? { ...old, extra: 1 } : old),
];

describe('parseEvent', () => {
  const examples = Object.entries(EVENT_EXAMPLES) as [string, Json][];

  it('takes the fast path for every valid example', () => {
    for (const [type, example] of examples) {
      const value = Buffer.from(JSON.stringify(example));
      expect({ type, fast: fastEventValidators().accepts(example as object, value) }).toEqual({ type, fast: true });
      expect(parseEvent(value, (example as { subject: string }).subject)).toMatchObject({ ok: true });
    }
  });

  it('never accepts on the fast path what class-validator rejects, for every field of every event mutated', () => {
    let cases = 0;
    let fastAccepted = 0;
    for (const [, example] of examples) {
      for (const path of paths(example)) {
        for (const mutate of MUTATIONS) {
          const doc = withValue(example, path, mutate);
          if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) continue;
          cases++;
          // What a consumer receives: the document as it travels (JSON has no holes in arrays, no undefined).
          const value = Buffer.from(JSON.stringify(doc));
          const fast = fastEventValidators().accepts(JSON.parse(value.toString()) as object, value);
          const strict = validateEvent(JSON.parse(value.toString()) as object).ok;
          if (fast) {
            fastAccepted++;
            // Reported with the path, so a disagreement says where the schemas drift from the decorators.
            expect({ path: path.join('.'), strict }).toEqual({ path: path.join('.'), strict: true });
          }
          // Whichever path decides, the result is class-validator's.
          expect(parseEvent(value).ok).toBe(strict);
        }
      }
    }
    expect(cases).toBeGreaterThan(5_000);
    expect(fastAccepted).toBeGreaterThan(cases / 10);
  });

  it('names the field when it rejects, and checks the key against the subject', () => {
    const [, example] = examples[0] as [string, { subject: string; data: Record<string, unknown> }];
    const bad = { ...example, data: { ...example.data, customerId: 7 } };
    const result = parseEvent(Buffer.from(JSON.stringify(bad)), example.subject);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('customerId') });
    expect(parseEvent(Buffer.from(JSON.stringify(example)), 'another-key')).toEqual({
      ok: false,
      reason: 'message key differs from subject',
    });
  });
});

describe('isRealCanonicalTime', () => {
  it('accepts exactly the canonical times that survive a round trip through Date', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    let compared = 0;
    for (const year of [0, 4, 100, 400, 1900, 1970, 2000, 2023, 2024, 2100, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          for (const [h, mi, s] of [
            [0, 0, 0],
            [23, 59, 59],
            [24, 0, 0],
            [12, 60, 0],
            [12, 0, 60],
          ]) {
            const value = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.123Z`;
            const time = Date.parse(value);
            const roundTrip = !Number.isNaN(time) && new Date(time).toISOString() === value;
            expect([value, isRealCanonicalTime(value)]).toEqual([value, roundTrip]);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(20_000);
  });
});

describe('FastEventValidators.warmUp', () => {
  it('compiles the validator of every event type ahead of its first event, once', async () => {
    const validators = new FastEventValidators();
    expect(validators.compiled).toBe(0);
    await validators.warmUp(0);
    expect(validators.compiled).toBe(Object.keys(EVENT_PAYLOAD_CLASSES).length);
    await validators.warmUp(0);
    expect(validators.compiled).toBe(Object.keys(EVENT_PAYLOAD_CLASSES).length);
  });
});
