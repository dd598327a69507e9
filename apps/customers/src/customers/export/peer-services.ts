import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { ProblemException } from '@kielto/platform';
import { CustomersEnv } from '../../customers.env';

/** The other three services, by the name their answers are reported under. */
export type PeerService = 'consents' | 'directory-bans' | 'suppression';

/**
 * Calls the other services with the service key for what belongs to a data subject (the exports, the erasure of a
 * bare identifier). All or nothing: a service that does not answer in time makes the whole request a 503 problem,
 * never a silently partial answer. Paths are logged without their query (it may hold an e-mail address or phone).
 */
@Injectable()
export class PeerServices {
  private readonly logger = new Logger(PeerServices.name);

  constructor(private readonly env: CustomersEnv) {}

  /** GET a JSON document; null for a 404 where that means "none" (`notFoundIsNone`). */
  async get<T = unknown>(service: PeerService, pathAndQuery: string, notFoundIsNone = false): Promise<T | null> {
    const response = await this.call(service, 'GET', pathAndQuery);
    if (notFoundIsNone && response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    return this.json<T>(service, pathAndQuery, response);
  }

  /** DELETE; a 409 of the other service is the caller's 409 too (its detail says why), anything else a 503. */
  async delete<T = unknown>(service: PeerService, pathAndQuery: string): Promise<T> {
    const response = await this.call(service, 'DELETE', pathAndQuery);
    if (response.status === 409) {
      const problem = (await response.json().catch(() => ({}))) as { type?: string; detail?: string };
      throw new ProblemException(
        HttpStatus.CONFLICT,
        problem.type?.split('/').at(-1) ?? 'conflict',
        `The ${service} service refused: ${problem.detail ?? 'conflict'}`,
      );
    }
    return this.json<T>(service, pathAndQuery, response);
  }

  private async call(service: PeerService, method: string, pathAndQuery: string): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl(service)}${pathAndQuery}`, {
        method,
        headers: { authorization: `Bearer ${this.env.KIELTO_SERVICE_KEY}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.env.KIELTO_EXPORT_TIMEOUT_MS),
      });
    } catch (error) {
      this.logger.warn({ service, method, path: pathOf(pathAndQuery), err: (error as Error).name }, 'peer unreachable');
      throw unavailable(service);
    }
  }

  private async json<T>(service: PeerService, pathAndQuery: string, response: Response): Promise<T> {
    if (!response.ok) {
      await response.body?.cancel();
      this.logger.warn({ service, path: pathOf(pathAndQuery), status: response.status }, 'peer failed');
      throw unavailable(service);
    }
    try {
      return (await response.json()) as T;
    } catch {
      throw unavailable(service);
    }
  }

  private baseUrl(service: PeerService): string {
    switch (service) {
      case 'consents':
        return this.env.CONSENTS_URL;
      case 'directory-bans':
        return this.env.DIRECTORY_BANS_URL;
      case 'suppression':
        return this.env.SUPPRESSION_URL;
    }
  }
}

const pathOf = (pathAndQuery: string) => pathAndQuery.split('?')[0];

function unavailable(service: PeerService): ProblemException {
  return new ProblemException(
    HttpStatus.SERVICE_UNAVAILABLE,
    'export-source-unavailable',
    `The ${service} service did not answer; nothing partial is given or done. Try again shortly`,
    undefined,
    { 'retry-after': '5' },
  );
}
