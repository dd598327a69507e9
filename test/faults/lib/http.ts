/** A tiny JSON client over Node's fetch that reports network failures as values instead of throwing. */

export interface HttpResult<T = unknown> {
  /** 0 when no HTTP response arrived (refused, reset, timeout). */
  status: number;
  body: T;
  /** Set when no response arrived: ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, TimeoutError… */
  error?: string;
  sentAt: number;
  receivedAt: number;
}

export async function http<T = unknown>(
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult<T>> {
  const sentAt = Date.now();
  try {
    const res = await fetch(url, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: unknown = text;
    if (text.length > 0 && /json/.test(res.headers.get('content-type') ?? '')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, body: body as T, sentAt, receivedAt: Date.now() };
  } catch (error) {
    return { status: 0, body: undefined as T, error: networkError(error), sentAt, receivedAt: Date.now() };
  }
}

/** The most specific name of a fetch failure (the cause chain holds the socket error code). */
export function networkError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = current as { code?: string; name?: string; cause?: unknown };
    if (e.code) return e.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return e.name;
    current = e.cause;
  }
  return error instanceof Error ? error.message : String(error);
}
