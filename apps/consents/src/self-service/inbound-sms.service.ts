import { Injectable } from '@nestjs/common';
import { ConsentSubjectV1, normalisePhone, subjectKey } from '@kielto/contracts';
import { fieldProblem, IdentifierHasher } from '@kielto/platform';
import { ConsentsService } from '../consents/consents.service';
import { SmsKeywordRepository } from '../consents/sms-keyword.repository';
import { InboundSmsDto } from './dto/inbound-sms.dto';
import { smsKeyword } from './sms-keywords';

export interface InboundSmsResult {
  status: 'withdrawn' | 'recorded' | 'ignored';
}

/** SMS STOP: as easy to withdraw as to give (R6), from the phone in the person's hand. */
@Injectable()
export class InboundSmsService {
  constructor(
    private readonly consents: ConsentsService,
    private readonly smsKeywords: SmsKeywordRepository,
    private readonly hasher: IdentifierHasher,
  ) {}

  async receive(message: InboundSmsDto, requestId: string): Promise<InboundSmsResult> {
    const keyword = smsKeyword(message.text);
    switch (keyword) {
      case 'stop': {
        const subject = this.sender(message.from);
        await this.consents.record({
          subject,
          channel: 'sms',
          purpose: 'all',
          decision: 'withdraw',
          source: 'sms-stop',
          evidence: { capturedBy: 'sms-gateway', requestId },
        });
        return { status: 'withdrawn' };
      }
      case 'start': {
        // START grants nothing by itself (consent must be specific and informed); it is kept as evidence only.
        const subject = this.sender(message.from);
        await this.smsKeywords.add('START', 'sms-start', subjectKey(subject));
        return { status: 'recorded' };
      }
      case 'unknown':
        return { status: 'ignored' };
      default:
        throw new Error(`unknown SMS keyword ${String(keyword satisfies never)}`);
    }
  }

  /** The sender's number as a ledger subject; only a real phone number can opt out. */
  private sender(from: string): ConsentSubjectV1 {
    const phone = normalisePhone(from);
    if (phone === null) throw fieldProblem('from', 'from must be a valid phone number to act on STOP or START');
    return { type: 'phone', key: this.hasher.hash(phone) };
  }
}
