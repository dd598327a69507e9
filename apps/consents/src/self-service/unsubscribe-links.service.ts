import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:net';
import { subjectKey } from '@kielto/contracts';
import { ConsentsEnv } from '../consents.env';
import { ConsentsService } from '../consents/consents.service';
import { CreateUnsubscribeLinkDto, UnsubscribeLinkDto } from './dto/create-unsubscribe-link.dto';
import { RevokeUnsubscribeLinksDto, UnsubscribeLinkRevocationDto } from './dto/revoke-unsubscribe-links.dto';
import { LinkRevocationRepository } from './link-revocation.repository';
import { UnsubscribeTokenCodec } from './unsubscribe-token';

/** Issues RFC 8058 one-click unsubscribe links for marketing messages, and revokes a subject's links. */
@Injectable()
export class UnsubscribeLinksService {
  constructor(
    private readonly consents: ConsentsService,
    private readonly tokens: UnsubscribeTokenCodec,
    private readonly revocations: LinkRevocationRepository,
    private readonly env: ConsentsEnv,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** `createdBy`: the API key id of the caller, carried in the link and into the evidence of what it does. */
  create(input: CreateUnsubscribeLinkDto, createdBy: string): UnsubscribeLinkDto {
    const subject = this.consents.subjectOf(input);
    const token = this.tokens.issue({
      subject,
      channel: input.channel,
      purpose: input.purpose,
      campaignId: input.campaignId,
      createdBy,
    });
    const url = `${this.publicUrl()}/u/${token}`;
    return {
      url,
      token,
      expiresAt: new Date(this.tokens.verify(token)!.expiresAt).toISOString(),
      headers: { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    };
  }

  /** Every link of the subject made until now stops working (see PreferencePageService.open). */
  async revoke(
    input: RevokeUnsubscribeLinksDto,
    revokedBy: string,
    requestId: string,
  ): Promise<UnsubscribeLinkRevocationDto> {
    const key = subjectKey(this.consents.subjectOf(input));
    const { revokedBefore } = await this.revocations.revoke(key, new Date(), revokedBy, requestId);
    return { revokedBefore: revokedBefore.toISOString() };
  }

  /** KIELTO_PUBLIC_URL, or this service's own listening address. */
  publicUrl(): string {
    if (this.env.KIELTO_PUBLIC_URL) return this.env.KIELTO_PUBLIC_URL.replace(/\/+$/, '');
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : (this.env.PORT ?? 3002);
    const host = ['0.0.0.0', '::'].includes(this.env.HOST) ? 'localhost' : this.env.HOST;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
}
