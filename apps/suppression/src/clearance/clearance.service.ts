import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { Actor, fieldProblem } from '@kielto/platform';
import { CheckService } from '../check/check.service';
import { IDENTIFIER_FIELDS } from '../check/contact-reader';
import { ClearanceRecord, ClearanceRepository } from './clearance.repository';

const CAMPAIGN_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CANONICAL_KEYS = ['ref', ...IDENTIFIER_FIELDS] as const;

/**
 * The input hash of a clearance: SHA-256 (hex) of the canonical JSON of the `contacts` array — each contact
 * reduced to its keys in the fixed order ref, email, phone, customerId, emailHash, phoneHash (absent keys
 * left out), values exactly as sent (not normalised), serialised by JSON.stringify without whitespace. A
 * caller can recompute it from its own file: `sha256(JSON.stringify(contacts.map(canonical)))`.
 */
export function inputSha256(contacts: readonly unknown[]): string {
  const canonical = contacts.map((c) => {
    const contact = c as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of CANONICAL_KEYS) if (contact[key] !== undefined) out[key] = contact[key];
    return out;
  });
  return createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('hex');
}

/** Campaign clearance: a bulk check whose answers are provable afterwards by a stored audit record. */
@Injectable()
export class ClearanceService {
  constructor(
    private readonly checks: CheckService,
    private readonly repository: ClearanceRepository,
  ) {}

  static assertCampaignId(campaignId: string): void {
    if (!CAMPAIGN_ID.test(campaignId)) {
      throw fieldProblem('campaignId', 'campaignId must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"');
    }
  }

  /**
   * Checks every contact, stores the audit record, then returns the record with the results as JSON (the
   * results are only released once the record that proves them is stored).
   */
  async clear(campaignId: string, body: unknown, actor: Actor): Promise<{ record: ClearanceRecord; json: string }> {
    ClearanceService.assertCampaignId(campaignId);
    const request = this.checks.readBulk(body, actor);
    const outcome = await this.checks.checkBulkWhenFresh(request);
    const record: ClearanceRecord = {
      id: randomUUID(),
      campaignId,
      at: new Date().toISOString(),
      actor: actor.keyId,
      channel: request.channel,
      purpose: request.purpose,
      ...(request.product ? { product: request.product } : {}),
      total: request.contacts.length,
      allowed: outcome.allowed,
      suppressed: outcome.suppressed,
      inputSha256: inputSha256(request.raw),
      asOf: new Date(outcome.asOf).toISOString(),
    };
    await this.repository.insert(record);
    const json = `${JSON.stringify(record).slice(0, -1)},"results":[${outcome.results.join(',')}]}`;
    return { record, json };
  }

  list(campaignId: string): Promise<ClearanceRecord[]> {
    ClearanceService.assertCampaignId(campaignId);
    return this.repository.list(campaignId);
  }
}
