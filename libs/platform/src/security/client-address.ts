import type { IncomingMessage } from 'node:http';

/**
 * The client address a limit is keyed by. Behind `KIELTO_TRUST_PROXY=<n>` proxies (hops), the address is the one
 * the n-th proxy from this service saw, taken from X-Forwarded-For: exactly what Fastify's `trustProxy: n` gives
 * as `request.ip` (both doors must agree, or a client would have two budgets). Without it the socket's peer is
 * the client and X-Forwarded-For is ignored (a client could write anything there).
 */
export function clientAddress(request: IncomingMessage, trustedHops: number): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return peer;
  const header = request.headers['x-forwarded-for'];
  if (typeof header !== 'string' || header.length === 0) return peer;
  // Closest first: the peer, then X-Forwarded-For from right to left.
  const hops = header.split(',');
  const index = Math.min(trustedHops, hops.length) - 1;
  return hops[hops.length - 1 - index].trim() || peer;
}
