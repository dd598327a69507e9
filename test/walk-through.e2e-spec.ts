import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEVELOPMENT_API_KEYS } from '@kielto/platform';
import { ServiceProcesses, startProcesses } from './support/processes';
import { dropDatabases, ServiceName } from './support/stack';

/**
 * The README's "Five minutes" as a newcomer pastes it, against the four services on the development keys. The
 * one change: the default addresses point at this test's own ports, beside the shared servers.
 */
const root = path.join(__dirname, '..');
const run = promisify(execFile);
const DEFAULT_PORTS: Record<ServiceName, number> = {
  customers: 3001,
  consents: 3002,
  'directory-bans': 3003,
  suppression: 3004,
};

/** The first ```bash block of the README section with this heading. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  const block = section && /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error(`README has no bash block under "## ${heading}"`);
  return block;
}

describe('README: five minutes', () => {
  const prefix = `walk${Date.now().toString(36)}`;
  let services: ServiceProcesses;

  beforeAll(async () => {
    const devAdminKey = DEVELOPMENT_API_KEYS.split(',')
      .find((k) => k.startsWith('admin:'))!
      .slice('admin:'.length);
    services = await startProcesses(['customers', 'consents', 'directory-bans', 'suppression'], prefix, {
      LOG_LEVEL: 'warn',
      KIELTO_API_KEYS: DEVELOPMENT_API_KEYS,
      KIELTO_SERVICE_KEY: devAdminKey,
    });
  }, 180_000);

  afterAll(async () => {
    await services?.stop();
    await dropDatabases(prefix);
  });

  it('runs as written: the check allows, a prohibition makes it suppress, /docs and the preference page open', async () => {
    let script = readmeBlock('Five minutes');
    for (const [service, port] of Object.entries(DEFAULT_PORTS)) {
      script = script.replaceAll(`http://127.0.0.1:${port}`, services.urls[service as ServiceName]);
    }
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, timeout: 60_000 });
    const lines = stdout.trim().split('\n');

    const customer = JSON.parse(lines[0]) as { id: string; customerNumber: string };
    expect(customer.customerNumber).toMatch(/^K\d{8}$/);
    const before = JSON.parse(lines[1]) as { decision: string };
    expect(before.decision).toBe('allow');
    expect(JSON.parse(lines[2])).toMatchObject({ decision: 'prohibit', channel: 'all', purpose: 'all' });
    const after = JSON.parse(lines[3]) as { decision: string; reasons: { code: string }[] };
    expect(after).toMatchObject({ decision: 'suppress', reasons: [expect.objectContaining({ code: 'prohibited' })] });
    expect(lines[4]).toBe('docs: 200');
    expect(lines[5]).toBe(`preference page: ${services.urls.consents}/u/${lines[5].split('/u/')[1]}`);
    expect(lines[6]).toMatch(/^<title>.+<\/title>$/);
  }, 120_000);
});
