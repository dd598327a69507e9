import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ProblemException } from '@kielto/platform';
import { ConsentsEnv } from '../consents.env';
import { DeskWrite, RequestDeskClient } from './request-desk.client';

/** The customers desk's HTTP port, answering what each test says. */
async function deskAnswering(status: number, body: object): Promise<{ url: string; calls: string[]; server: Server }> {
  const calls: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      calls.push(`${req.method} ${req.url} ${req.headers.authorization} ${text}`);
      res.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

const clientFor = (url: string) =>
  new RequestDeskClient(Object.assign(new ConsentsEnv(), { CUSTOMERS_URL: url, KIELTO_SERVICE_KEY: 'service-key-1' }));
const write: DeskWrite = { action: 'objection', subject: { email: 'a@example.fi' }, actor: 'staff', requestId: 'r-1' };
const dsr = '6f0b9c2e-1111-4222-8333-444455556666';

describe(RequestDeskClient.name, () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  it('checks with a dry run and adds to the trail with the service key, the subject in the body', async () => {
    const desk = await deskAnswering(200, { id: dsr });
    servers.push(desk.server);
    await clientFor(desk.url).check(dsr, write);
    await clientFor(desk.url).addToTrail(dsr, write);
    expect(desk.calls).toEqual([
      `POST /v1/requests/${dsr}/trail?dryRun=true Bearer service-key-1 ${JSON.stringify({ email: 'a@example.fi', action: 'objection', actor: 'staff', requestId: 'r-1' })}`,
      `POST /v1/requests/${dsr}/trail Bearer service-key-1 ${JSON.stringify({ email: 'a@example.fi', action: 'objection', actor: 'staff', requestId: 'r-1' })}`,
    ]);
  });

  it("answers the desk's refusal of the link as its own: status, type and the X-Kielto-Dsr error", async () => {
    const desk = await deskAnswering(409, {
      type: 'https://kielto.fi/problems/request-closed',
      detail: 'The request is closed',
      errors: [{ field: 'X-Kielto-Dsr', message: 'the request is closed' }],
    });
    servers.push(desk.server);
    const error = (await clientFor(desk.url)
      .check(dsr, write)
      .catch((e: unknown) => e)) as ProblemException;
    expect(error).toBeInstanceOf(ProblemException);
    expect([error.getStatus(), error.problemType, error.fieldErrors]).toEqual([
      409,
      'request-closed',
      [{ field: 'X-Kielto-Dsr', message: 'the request is closed' }],
    ]);
  });

  it('fails closed (503, nothing to be written) when the desk fails, refuses for another reason or is away', async () => {
    const broken = await deskAnswering(500, {});
    const other = await deskAnswering(400, { errors: [{ field: 'email', message: 'bad' }] });
    servers.push(broken.server, other.server);
    const away = await deskAnswering(200, {});
    await new Promise((r) => away.server.close(r));
    for (const url of [broken.url, other.url, away.url]) {
      const error = (await clientFor(url)
        .check(dsr, write)
        .catch((e: unknown) => e)) as ProblemException;
      expect([error.getStatus(), error.problemType]).toEqual([503, 'request-desk-unavailable']);
    }
    // After the write, a lost trail entry is logged, never a failed write.
    await expect(clientFor(broken.url).addToTrail(dsr, write)).resolves.toBeUndefined();
  });
});
