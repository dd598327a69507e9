import { ApiProperty } from '@nestjs/swagger';
import { SubjectDto } from '../../consents/dto/subject.dto';

/** Whose links to revoke: exactly one of a customer id, an e-mail address or a phone number. */
export class RevokeUnsubscribeLinksDto extends SubjectDto {}

export class UnsubscribeLinkRevocationDto {
  @ApiProperty({
    format: 'date-time',
    description: 'Links of this subject made at or before this instant no longer work (410 Gone)',
  })
  revokedBefore!: string;
}
