import { Injectable } from '@nestjs/common';
import { Channel, normaliseEmail, normalisePhone, Purpose } from '@kielto/contracts';
import { Actor, fieldProblem, IdentifierHasher, ProblemException } from '@kielto/platform';
import { decide } from '../decision/decision-engine';
import { Decision, SubjectFacts } from '../decision/decision.types';
import { SuppressionState } from '../state/suppression-state';
import { ContactDto } from './dto/check-query.dto';

const NO_FACTS: SubjectFacts = Object.freeze({ ledger: [], suppressionEntries: [] });
const IDENTIFIER_FIELDS = ['email', 'phone', 'customerId', 'emailHash', 'phoneHash'] as const;

/** Resolves a contact to the facts held about it and asks the decision engine. */
@Injectable()
export class CheckService {
  constructor(
    private readonly state: SuppressionState,
    private readonly hasher: IdentifierHasher,
  ) {}

  /** Validates that exactly one identifier is given, and that partners use hashed identifiers only. */
  assertContact(contact: ContactDto, actor: Actor, field = 'contact'): void {
    let given = 0;
    for (const f of IDENTIFIER_FIELDS) if (contact[f] !== undefined) given++;
    if (given !== 1) throw fieldProblem(field, 'exactly one of email, phone, customerId, emailHash or phoneHash is required');
    if (actor.role === 'partner' && contact.emailHash === undefined && contact.phoneHash === undefined) {
      throw new ProblemException(403, 'forbidden', 'Partners may check hashed identifiers only (emailHash, phoneHash)');
    }
  }

  facts(contact: ContactDto): SubjectFacts {
    if (contact.email !== undefined) {
      const email = normaliseEmail(contact.email);
      return email === null ? NO_FACTS : this.state.factsForIdentifier('email', this.hasher.hash(email));
    }
    if (contact.phone !== undefined) {
      const phone = normalisePhone(contact.phone);
      return phone === null ? NO_FACTS : this.state.factsForIdentifier('phone', this.hasher.hash(phone));
    }
    if (contact.emailHash !== undefined) return this.state.factsForIdentifier('email', contact.emailHash);
    if (contact.phoneHash !== undefined) return this.state.factsForIdentifier('phone', contact.phoneHash);
    return this.state.factsForCustomer(contact.customerId!) ?? NO_FACTS;
  }

  check(contact: ContactDto, channel: Channel, purpose: Purpose, now = Date.now()): Decision {
    return decide(this.facts(contact), channel, purpose, now);
  }
}
