import { CliConfig, KieltoClient, ProblemError } from './http';
import { main } from './main';
import { EXIT } from './report';
import { captureOutput, tempFiles } from './spec-helpers';

const files = tempFiles();
const run = (...args: string[]) => main(['node', 'kielto', ...args]);

describe('kielto main: argument parsing and exit codes', () => {
  let output: ReturnType<typeof captureOutput>;
  const saved = { ...process.env };
  beforeEach(() => {
    output = captureOutput();
    for (const name of Object.keys(process.env)) if (name.startsWith('KIELTO_')) delete process.env[name];
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });

  /** Stands in for the services: every request resolves through `answer`, with the URL it was sent to. */
  const services = (answer: (url: string) => Promise<Response>) =>
    jest.spyOn(KieltoClient.prototype, 'request').mockImplementation(function (this: KieltoClient, service, path) {
      return answer(this.url(service, path));
    });

  it.each([['--help'], ['--version'], ['clear', '--help']])('exits 0 for %s', async (...args) => {
    expect(await run(...args)).toBe(EXIT.ok);
    expect(output.stdout()).not.toBe('');
  });

  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['import'], /missing required argument 'file'/],
    [['import', 'x.csv', '--reason', 'spite'], /Allowed choices are bounce, complaint, robinson, manual/],
    [['clear', 'c1', 'x.csv', '--purpose', 'own-marketing'], /'--channel <channel>' not specified/],
  ])('exits 2 for a wrong invocation: %j', async (args, message) => {
    expect(await run(...args)).toBe(EXIT.usage);
    expect(output.stderr()).toMatch(message);
  });

  it('exits 2 without an API key, before anything is sent', async () => {
    const path = await files.file('ok.csv', 'email\na@example.fi\n');
    const fetch = jest.spyOn(globalThis, 'fetch');
    expect(await run('import', path, '--reason', 'robinson', '--channel', 'all')).toBe(EXIT.usage);
    const out = `${files.dir()}/out`;
    expect(await run('clear', 'c1', path, '--channel', 'email', '--purpose', 'own-marketing', '--out', out)).toBe(
      EXIT.usage,
    );
    expect(output.stderr()).toContain('No API key');
    expect(output.stderr()).not.toMatch(/PARTLY|chunk/);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('exits 65 for a file that is not valid CSV, and 1 for a missing one', async () => {
    const bad = await files.file('bad.csv', 'email\n"a@example.fi\n');
    expect(await run('import', bad, '--reason', 'robinson', '--channel', 'all')).toBe(EXIT.dataError);
    expect(output.stderr()).toContain('line 2: a quoted field is not closed. Nothing was sent.');
    const missing = `${files.dir()}/missing.csv`;
    expect(await run('import', missing, '--reason', 'robinson', '--channel', 'all')).toBe(EXIT.failure);
    expect(output.stderr()).toContain('ENOENT');
  });

  it('sends to the URL of a flag over KIELTO_URL_*, with the key of KIELTO_API_KEY', async () => {
    process.env.KIELTO_API_KEY = 'k';
    process.env.KIELTO_URL_CUSTOMERS = 'http://env:1/';
    const urls: string[] = [];
    services((url) => (urls.push(url), Promise.resolve(Response.json({ customerId: 'c-1' }))));
    expect(await run('export', 'c-1')).toBe(EXIT.ok);
    expect(await run('--url-customers', 'http://flag:2', 'export', 'c-1')).toBe(EXIT.ok);
    expect(urls).toEqual(['http://env:1/v1/customers/c-1/export', 'http://flag:2/v1/customers/c-1/export']);
    expect(JSON.parse(output.stdout().split('\n}\n')[0] + '}')).toEqual({ customerId: 'c-1' });
  });

  it('exits 69 when a service answers 503, and 1 for any other problem', async () => {
    process.env.KIELTO_API_KEY = 'k';
    let status = 503;
    services(() => Promise.reject(new ProblemError(status, { title: 'Unavailable' }, 'GET export')));
    expect(await run('export', 'c-1')).toBe(EXIT.unavailable);
    status = 404;
    expect(await run('export', 'c-1')).toBe(EXIT.failure);
    expect(output.stderr()).toContain('GET export: 404 Unavailable');
  });
});

describe('CliConfig', () => {
  it('takes flags over KIELTO_* variables over defaults, and never an empty key', () => {
    const env = { KIELTO_URL_SUPPRESSION: 'http://s:9//', KIELTO_TIMEOUT_MS: '5', KIELTO_API_KEY: ' key ' };
    const config = new CliConfig({ urlDirectoryBans: 'http://d:8' }, env);
    expect(config.urls).toEqual({
      customers: 'http://127.0.0.1:3001',
      consents: 'http://127.0.0.1:3002',
      'directory-bans': 'http://d:8',
      suppression: 'http://s:9',
    });
    expect(config.timeoutMs).toBe(5);
    expect(config.apiKey()).toBe('key');
    expect(() => new CliConfig({}, { KIELTO_API_KEY: ' ' }).apiKey()).toThrow(/No API key/);
  });
});
