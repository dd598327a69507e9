import { Injectable } from '@nestjs/common';
import { ConsoleEnv } from '../console.env';

export type ServiceName = 'customers' | 'consents' | 'directory-bans' | 'suppression';

/** A service's answer: the body parsed when JSON; a problem's `type` name (after the last `/`) when it failed. */
export interface ServiceAnswer<T = unknown> {
  ok: boolean;
  status: number;
  body: T;
  problem?: { type: string; detail: string; fields: string[] };
}

const TIMEOUT_MS = 10_000;

/**
 * The four services over their public HTTP APIs, called as the signed-in person: their credential as Bearer, so
 * the services decide what the person may do and record them as the actor. Nothing is cached here.
 */
@Injectable()
export class KieltoClient {
  private readonly base: Record<ServiceName, string>;

  constructor(env: ConsoleEnv) {
    const trim = (url: string) => url.replace(/\/+$/, '');
    this.base = {
      customers: trim(env.CUSTOMERS_URL),
      consents: trim(env.CONSENTS_URL),
      'directory-bans': trim(env.DIRECTORY_BANS_URL),
      suppression: trim(env.SUPPRESSION_URL),
    };
  }

  async call<T>(
    credential: string,
    service: ServiceName,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { query?: Record<string, string | undefined>; body?: unknown; requestId?: string } = {},
  ): Promise<ServiceAnswer<T>> {
    const url = new URL(this.base[service] + path);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, value);
    const headers: Record<string, string> = { authorization: `Bearer ${credential}`, accept: 'application/json' };
    if (options.requestId) headers['x-request-id'] = options.requestId;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      return {
        ok: false,
        status: 503,
        body: undefined as T,
        problem: { type: 'service-unreachable', detail: service, fields: [] },
      };
    }
    const text = await response.text();
    let body: unknown = undefined;
    if (text !== '' && /json/.test(response.headers.get('content-type') ?? '')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (response.ok) return { ok: true, status: response.status, body: body as T };
    const problem = (body ?? {}) as { type?: unknown; detail?: unknown; errors?: { field?: unknown }[] };
    return {
      ok: false,
      status: response.status,
      body: body as T,
      problem: {
        type:
          typeof problem.type === 'string'
            ? problem.type.slice(problem.type.lastIndexOf('/') + 1)
            : String(response.status),
        detail: typeof problem.detail === 'string' ? problem.detail : '',
        fields: Array.isArray(problem.errors) ? problem.errors.map((e) => String(e.field)) : [],
      },
    };
  }
}
