/**
 * The proof of a campaign clearance, as suppression's `POST /v1/campaigns/:campaignId/clearance` stores it (and
 * answers it with the results) and `GET /v1/campaigns/:campaignId/clearances` lists it: who checked which list,
 * when, against which state, with what counts. Never a contact.
 */
export interface CampaignClearance {
  id: string;
  campaignId: string;
  at: string;
  /** The caller's API key id, or `oidc:<sub>`. */
  actor: string;
  channel: string;
  purpose: string;
  /** The product marketed, when the campaign named one (R10). */
  product?: string;
  total: number;
  allowed: number;
  suppressed: number;
  /** SHA-256 (hex) of the canonical JSON of the contacts sent. */
  inputSha256: string;
  /** The watermark the answers were based on. */
  asOf: string;
}
