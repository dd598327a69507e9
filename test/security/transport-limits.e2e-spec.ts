import type { Server } from 'node:http';
import { connect, Socket } from 'node:net';
import { startStack, Stack } from '../support/stack';

/** Opens a raw connection to the service and collects what it answers until the server closes it. */
function open(url: string): { socket: Socket; received: () => string; closed: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => data, closed };
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} in ${ms} ms`)), ms).unref()),
  ]);

/**
 * Issue 19 (4): a caller without a key costs a header lookup, not a body parse; slow or idle connections are
 * closed; the number of connections is capped.
 */
describe('transport limits: authentication before the body, timeouts, a connection cap', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(['consents'], {
      KIELTO_CONNECTION_TIMEOUT_MS: '1500',
      KIELTO_REQUEST_TIMEOUT_MS: '5000',
      KIELTO_MAX_CONNECTIONS: '4',
    });
  });
  afterAll(() => stack?.close());

  it('answers 401 to a call without a key before its body has arrived, and does not read on', async () => {
    const { socket, received, closed } = open(stack.urls.consents);
    // Announce 900 kB (under the body limit, so no early 413) and send only the first kilobyte.
    socket.write(
      'POST /v1/consents HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 900000\r\n\r\n',
    );
    socket.write('{"email":"' + 'a'.repeat(1000));
    await within(closed, 5000, 'answer and close while the body was still being sent');
    expect(received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(received()).toContain('application/problem+json');
    expect(received().toLowerCase()).toContain('connection: close');
  });

  it('closes a connection that sends nothing for longer than KIELTO_CONNECTION_TIMEOUT_MS', async () => {
    const { closed } = open(stack.urls.consents);
    await within(closed, 10_000, 'close of the idle connection');
  });

  it('sets the request timeout and refuses connections beyond KIELTO_MAX_CONNECTIONS', async () => {
    const server = stack.apps.consents!.app.getHttpServer() as Server;
    expect(server.requestTimeout).toBe(5000);
    expect(server.maxConnections).toBe(4);
    const held = Array.from({ length: 4 }, () => open(stack.urls.consents));
    await Promise.all(held.map((c) => new Promise((resolve) => c.socket.once('connect', resolve))));
    const extra = open(stack.urls.consents);
    extra.socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(extra.closed, 1000, 'refusal of the fifth connection');
    expect(extra.received()).toBe('');
    for (const c of held) c.socket.destroy();
  });
});
