import Ajv, { ValidateFunction } from 'ajv';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import isISO8601 from 'validator/lib/isISO8601';
import {
  CloudEventV1,
  EVENT_PAYLOAD_CLASSES,
  JsonSchemaRegistry,
  KieltoEvent,
  payloadClassOf,
} from '@kielto/contracts';

/** A parsed event is a `KieltoEvent`: its `type` is one consumers accept, and narrows `data` to its payload. */
export type ParseResult = { ok: true; event: KieltoEvent } | { ok: false; reason: string };

function describe(errors: ReturnType<typeof validateSync>, prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.keys(e.constraints ?? {}).map((c) => `${prefix}${e.property}: ${c}`),
    ...describe(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * Compiled validators, one per event type, from the JSON Schemas that `JsonSchemaRegistry` derives from the very
 * class-validator decorators (the converter refuses any decorator it cannot express). They are a fast path only:
 * an event they accept is accepted (validating with class-validator costs ~45 µs an event, these a few µs, and a
 * replay reads hundreds of thousands); anything they reject is judged again by class-validator, which stays the
 * authority and names the reasons. Formats and patterns use class-validator's own functions and regexp
 * semantics; strings with Unicode variation selectors, which the two count differently, always take the slow path.
 */
export class FastEventValidators {
  private readonly ajv = new Ajv({ strict: false, allErrors: false, unicodeRegExp: false, validateFormats: true });
  /** Compiled on first use of each type: compiling every type took ~0.3 s of a replay reading only one or two. */
  private readonly byType = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv.addFormat('date-time', { type: 'string', validate: isStrictIso8601 });
  }

  /**
   * Compiles the validators not compiled yet, one type per timer tick (each takes 5-30 ms of the event loop), so
   * that the first live event of a type does not wait for its compilation: an opt-out whose type had not been seen
   * since start took 150-180 ms to apply (opt-out propagation p99, issue 15). Answers when all are compiled.
   */
  async warmUp(gapMs = 10): Promise<void> {
    for (const type of Object.keys(EVENT_PAYLOAD_CLASSES)) {
      if (this.byType.has(type)) continue;
      await new Promise((resolve) => setTimeout(resolve, gapMs).unref());
      this.validatorOf(type);
    }
  }

  /** How many types have their validator compiled. */
  get compiled(): number {
    return this.byType.size;
  }

  accepts(raw: { type?: unknown }, value: Buffer): boolean {
    const validate = typeof raw.type === 'string' ? this.validatorOf(raw.type) : undefined;
    return validate !== undefined && validate(raw) && !hasVariationSelector(value);
  }

  private validatorOf(type: string): ValidateFunction | undefined {
    let validate = this.byType.get(type);
    if (validate === undefined && Object.hasOwn(EVENT_PAYLOAD_CLASSES, type)) {
      const registry = new JsonSchemaRegistry();
      registry.ref(CloudEventV1);
      const data = registry.ref(EVENT_PAYLOAD_CLASSES[type as keyof typeof EVENT_PAYLOAD_CLASSES]);
      const envelope = registry.schemas[CloudEventV1.name] as { properties: Record<string, unknown> };
      const schema = {
        ...envelope,
        properties: { ...envelope.properties, type: { const: type }, data },
        components: { schemas: registry.schemas },
      };
      validate = this.ajv.compile(schema);
      this.byType.set(type, validate);
    }
    return validate;
  }
}

/** `Date#toISOString()`'s form, which is what kielto's producers write. */
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * class-validator's `@IsISO8601({ strict: true })`. A time in the canonical form whose fields make a real date
 * and time is in a form validator.js accepts, so it skips validator.js's long expression; the fields are read
 * as digits, without building a Date and its string (a replay reads hundreds of thousands of times).
 */
function isStrictIso8601(value: string): boolean {
  return (CANONICAL_TIME.test(value) && isRealCanonicalTime(value)) || isISO8601(value, { strict: true });
}

/** A canonical-form time (checked by CANONICAL_TIME) names a real day of the proleptic Gregorian calendar. */
export function isRealCanonicalTime(value: string): boolean {
  const at = (i: number, n: number): number => {
    let v = 0;
    for (let k = i; k < i + n; k++) v = v * 10 + value.charCodeAt(k) - 48;
    return v;
  };
  const year = at(0, 4);
  const month = at(5, 2);
  const day = at(8, 2);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return month >= 1 && month <= 12 && day >= 1 && day <= days && at(11, 2) < 24 && at(14, 2) < 60 && at(17, 2) < 60;
}

/** U+FE0E / U+FE0F in UTF-8: validator.js does not count them in a string's length, JSON Schema does. */
function hasVariationSelector(value: Buffer): boolean {
  return value.indexOf(VS15) !== -1 || value.indexOf(VS16) !== -1;
}
const VS15 = Buffer.from('\uFE0E', 'utf8');
const VS16 = Buffer.from('\uFE0F', 'utf8');

let fast: FastEventValidators | undefined;
/** The compiled validators (built on first use). Exported for the test that holds them to class-validator. */
export function fastEventValidators(): FastEventValidators {
  return (fast ??= new FastEventValidators());
}

/**
 * Parses and validates one Kafka message value: a CloudEvents envelope whose `type` we know and whose
 * `data` matches that type's payload class. Reasons name fields and constraints, never values.
 */
export function parseEvent(value: Buffer | null, expectedKey?: string | null): ParseResult {
  if (!value) return { ok: false, reason: 'empty message value' };
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'value is not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'value is not a JSON object' };
  }
  const result: ParseResult = fastEventValidators().accepts(raw, value)
    ? { ok: true, event: raw as KieltoEvent }
    : validateEvent(raw);
  if (result.ok && expectedKey != null && expectedKey !== result.event.subject) {
    return { ok: false, reason: 'message key differs from subject' };
  }
  return result;
}

/** The authoritative validation, with class-validator; reasons name fields and constraints. */
export function validateEvent(raw: object): ParseResult {
  const envelope = plainToInstance(CloudEventV1, raw);
  const envelopeErrors = validateSync(envelope);
  if (envelopeErrors.length > 0) {
    return { ok: false, reason: `invalid envelope: ${describe(envelopeErrors).join('; ')}` };
  }
  const payloadClass = payloadClassOf(envelope.type);
  if (!payloadClass) return { ok: false, reason: `unknown event type ${envelope.type}` };
  const data = plainToInstance(payloadClass, envelope.data);
  const dataErrors = validateSync(data, { forbidUnknownValues: true });
  if (dataErrors.length > 0) {
    return { ok: false, reason: `invalid data for ${envelope.type}: ${describe(dataErrors).join('; ')}` };
  }
  envelope.data = data;
  // The one place a type is asserted: `type` was looked up in EVENT_PAYLOAD_CLASSES and `data` validated as its class.
  return { ok: true, event: envelope as KieltoEvent };
}
