import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { Actor, BareIdentifier, ProblemException } from '@kielto/platform';
import { CustomersService } from '../customers/customers.service';
import { PeerServices } from '../customers/export/peer-services';

/** What the consents service answers to the erasure of an identifier's ledger (`DELETE /v1/consents`). */
interface LedgerErasure {
  subject: string;
  erasedAt: string;
  erased: number;
}

export interface SubjectErasureReceipt {
  /** `email:<keyed hash>` or `phone:<keyed hash>`: the identifier is never echoed in clear. */
  subject: string;
  status: 'erased';
  erasedAt: string;
  /** Consent ledger entries (and SMS keywords sent from the number) deleted. */
  ledgerEntriesErased: number;
}

/**
 * Erasure of a bare identifier (GDPR Art 17): a prospect, a contact person or a name from a bought list, who is no
 * customer. Of what the four services hold about it, the consents service deletes the ledger, its evidence and the SMS
 * keywords, and keeps the keyed hash as a tombstone that suppression honours (R8); suppression entries (bounce,
 * complaint, Robinson, manual) are refusals kept as keyed hashes already and stay; directory bans are customers' only.
 * The request desk and the audit trail (reads and writes) stay: they are the register's own accountability records
 * (Art 5(2), 12), holding the identifier only as a keyed hash except in the desk entry of the request itself.
 */
@Injectable()
export class SubjectErasureService {
  private readonly logger = new Logger(SubjectErasureService.name);

  constructor(
    private readonly customers: CustomersService,
    private readonly peers: PeerServices,
  ) {}

  async erase(identifier: BareIdentifier, actor: Actor): Promise<SubjectErasureReceipt> {
    const holders = await this.customers.find({ [identifier.kind]: identifier.value });
    if (holders.length > 0) {
      const named = holders.map((c) => `${c.id} (${c.customerNumber})`).join(', ');
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'identifier-held',
        `The ${identifier.kind} belongs to customer ${named}: erasing it is that customer's rectification (PATCH /v1/customers/:id) or erasure (DELETE /v1/customers/:id)`,
      );
    }
    // The consents service checks again, for customers who held the identifier before (their entries may bind them).
    const done = await this.peers.delete<LedgerErasure>(
      'consents',
      `/v1/consents?${identifier.kind}=${encodeURIComponent(identifier.value)}`,
    );
    this.logger.log({ subject: done.subject, actor: actor.keyId, erased: done.erased }, 'identifier erased');
    return { subject: done.subject, status: 'erased', erasedAt: done.erasedAt, ledgerEntriesErased: done.erased };
  }
}
