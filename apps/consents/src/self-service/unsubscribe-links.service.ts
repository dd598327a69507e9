import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:net';
import { ConsentsEnv } from '../consents.env';
import { ConsentsService } from '../consents/consents.service';
import { CreateUnsubscribeLinkDto, UnsubscribeLinkDto } from './dto/create-unsubscribe-link.dto';
import { UnsubscribeTokenCodec } from './unsubscribe-token';

/** Issues RFC 8058 one-click unsubscribe links for marketing messages. */
@Injectable()
export class UnsubscribeLinksService {
  constructor(
    private readonly consents: ConsentsService,
    private readonly tokens: UnsubscribeTokenCodec,
    private readonly env: ConsentsEnv,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  create(input: CreateUnsubscribeLinkDto): UnsubscribeLinkDto {
    const subject = this.consents.subjectOf(input);
    const token = this.tokens.issue({
      subject,
      channel: input.channel,
      purpose: input.purpose,
      campaignId: input.campaignId,
    });
    const url = `${this.publicUrl()}/u/${token}`;
    return {
      url,
      token,
      headers: { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    };
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
