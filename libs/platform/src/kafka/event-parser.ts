import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CloudEventV1, EVENT_PAYLOAD_CLASSES } from '@kielto/contracts';

export type ParseResult<T = unknown> = { ok: true; event: CloudEventV1<T> } | { ok: false; reason: string };

function describe(errors: ReturnType<typeof validateSync>, prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.keys(e.constraints ?? {}).map((c) => `${prefix}${e.property}: ${c}`),
    ...describe(e.children ?? [], `${prefix}${e.property}.`),
  ]);
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
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'value is not a JSON object' };
  const envelope = plainToInstance(CloudEventV1, raw);
  const envelopeErrors = validateSync(envelope);
  if (envelopeErrors.length > 0) return { ok: false, reason: `invalid envelope: ${describe(envelopeErrors).join('; ')}` };
  const payloadClass = EVENT_PAYLOAD_CLASSES[envelope.type];
  if (!payloadClass) return { ok: false, reason: `unknown event type ${envelope.type}` };
  const data = plainToInstance(payloadClass, envelope.data);
  const dataErrors = validateSync(data, { forbidUnknownValues: true });
  if (dataErrors.length > 0) return { ok: false, reason: `invalid data for ${envelope.type}: ${describe(dataErrors).join('; ')}` };
  if (expectedKey != null && expectedKey !== envelope.subject) return { ok: false, reason: 'message key differs from subject' };
  envelope.data = data;
  return { ok: true, event: envelope };
}
