import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { OptionalCustomerId, OptionalEmail, OptionalPhone } from '@kielto/platform';
import { PEER_TRAIL_ACTIONS, PeerTrailAction } from '@kielto/contracts';

/**
 * A write of another service for a desk entry (consents: an objection or a withdrawal): about exactly one of a
 * customer, an e-mail address or a phone number, as the write named it.
 */
export class LinkTrailDto {
  @OptionalCustomerId() customerId?: string;
  @OptionalEmail() email?: string;
  @OptionalPhone() phone?: string;

  @ApiProperty({ enum: PEER_TRAIL_ACTIONS }) @IsIn(PEER_TRAIL_ACTIONS) action!: PeerTrailAction;

  @ApiProperty({ description: 'Who made the write (its API key id or person)', example: 'staff' })
  @IsString()
  @Length(1, 200)
  actor!: string;

  @ApiProperty({ description: "Request id of the write: the other service's audit record carries the same id" })
  @IsString()
  @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'requestId must be 1-128 letters, digits, _ . : -' })
  requestId!: string;
}
