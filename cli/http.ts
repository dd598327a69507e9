import { readFileSync } from 'node:fs';

export const SERVICES = ['customers', 'consents', 'directory-bans', 'suppression'] as const;
export type ServiceName = (typeof SERVICES)[number];

const DEFAULT_PORTS: Record<ServiceName, number> = {
  customers: 3001,
  consents: 3002,
  'directory-bans': 3003,
  suppression: 3004,
};

/** `directory-bans` → `KIELTO_URL_DIRECTORY_BANS`. */
export const urlEnvName = (service: ServiceName) => `KIELTO_URL_${service.toUpperCase().replace(/-/g, '_')}`;
/** `directory-bans` → `urlDirectoryBans` (commander's key of `--url-directory-bans`). */
export const urlOptionKey = (service: ServiceName) =>
  `url${service.replace(/(^|-)([a-z])/g, (_, __: string, c: string) => c.toUpperCase())}`;

export interface GlobalOptions {
  apiKeyFile?: string;
  timeout?: string;
  [urlOption: string]: string | undefined;
}

/** Where the services are and how to authenticate: flags win over KIELTO_* variables, which win over defaults. */
export class CliConfig {
  readonly urls: Record<ServiceName, string>;
  readonly timeoutMs: number;
  private readonly apiKeyFile?: string;

  constructor(
    options: GlobalOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.urls = Object.fromEntries(
      SERVICES.map((s) => {
        const url = options[urlOptionKey(s)] ?? env[urlEnvName(s)] ?? `http://127.0.0.1:${DEFAULT_PORTS[s]}`;
        return [s, url.replace(/\/+$/, '')];
      }),
    ) as Record<ServiceName, string>;
    this.timeoutMs = Number(options.timeout ?? env.KIELTO_TIMEOUT_MS ?? 300_000);
    this.apiKeyFile = options.apiKeyFile ?? env.KIELTO_API_KEY_FILE;
  }

  /** The API key: `--api-key-file` / KIELTO_API_KEY_FILE, else KIELTO_API_KEY (never a flag: argv is visible in ps). */
  apiKey(): string {
    const key = this.apiKeyFile ? readFileSync(this.apiKeyFile, 'utf8').trim() : this.env.KIELTO_API_KEY?.trim();
    if (!key) throw new UsageError('No API key: set KIELTO_API_KEY (or KIELTO_API_KEY_FILE / --api-key-file)');
    return key;
  }
}

/** Wrong invocation or configuration (exit 2). */
export class UsageError extends Error {}

/** An RFC 9457 problem answered by a service. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: {
      title?: string;
      detail?: string;
      requestId?: string;
      errors?: { field?: string; line?: number; message?: string }[];
    },
    readonly what: string,
  ) {
    super(
      `${what}: ${status} ${problem.title ?? ''}${problem.detail ? ` — ${problem.detail}` : ''}${problem.requestId ? ` (request id ${problem.requestId})` : ''}`,
    );
  }
}

export interface RequestOptions {
  method?: string;
  /** A string, or a stream sent as it is read (a register snapshot of millions of rows; not retried). */
  body?: string | ReadableStream<Uint8Array>;
  contentType?: string;
  headers?: Record<string, string>;
  auth?: boolean;
  /** Retry 429/503 answers that carry Retry-After (stale suppression list, rate limit) this many times. */
  retries?: number;
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thin fetch wrapper: bearer auth, problem+json errors, and patient retries where the service asks for them. */
export class KieltoClient {
  constructor(private readonly config: CliConfig) {}

  url(service: ServiceName, path: string): string {
    return this.config.urls[service] + path;
  }

  async request(service: ServiceName, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (options.auth !== false) headers.authorization = `Bearer ${this.config.apiKey()}`;
    if (options.contentType) headers['content-type'] = options.contentType;
    Object.assign(headers, options.headers);
    const what = `${options.method ?? 'GET'} ${this.url(service, path)}`;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(this.url(service, path), {
          method: options.method ?? 'GET',
          headers,
          body: options.body,
          ...(typeof options.body === 'object' ? { duplex: 'half' as const } : {}),
          signal: AbortSignal.timeout(options.timeoutMs ?? this.config.timeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        throw new Error(`${what}: no answer (${cause}); is ${service} running at ${this.config.urls[service]}?`);
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      if ((response.status === 503 || response.status === 429) && attempt < (options.retries ?? 0) && retryAfter >= 0) {
        await response.arrayBuffer(); // drain, so the connection can be reused
        // As the service asks, and backing off when it keeps asking (a broker slow to confirm, a long catch-up).
        await sleep(Math.min(30, Math.max(retryAfter, 0.25, 2 ** attempt / 2)) * 1000);
        continue;
      }
      if (!response.ok) {
        const text = await response.text();
        let problem: ProblemError['problem'] = { detail: text.slice(0, 500) };
        try {
          problem = JSON.parse(text) as ProblemError['problem'];
        } catch {
          /* not JSON: keep the text */
        }
        throw new ProblemError(response.status, problem, what);
      }
      return response;
    }
  }

  async json<T>(service: ServiceName, path: string, options: RequestOptions = {}): Promise<T> {
    return (await (await this.request(service, path, options)).json()) as T;
  }
}
