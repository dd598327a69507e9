import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { API_KEYS_SETTING, dropDatabases, KEYS, PARTNER_HASH_KEY, UNLIMITED_ACCESS } from './support/stack';

/**
 * The README's first command as a newcomer runs it: `npm start` (scripts/start.js) brings up every service and
 * reports them ready, and stops them on SIGTERM; `npm run infra:down` leaves none of the processes `infra:up`
 * started. Each against its own ports, database prefix and (for infra) data directory, beside the shared servers.
 */
const root = path.join(__dirname, '..');
const run = promisify(execFile);
const SERVICES = ['customers', 'consents', 'directory-bans', 'suppression', 'console'] as const;
const built = SERVICES.every((s) => existsSync(path.join(root, 'dist', 'apps', s, 'apps', s, 'src', 'main.js')));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Running: a process that exited is a zombie until whoever inherited it reaps it, and `kill 0` still finds it. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false; // gone between the two looks
  }
};

/** The service log lines of `npm start`'s output (`<service> | <pino JSON>`) at error level or above. */
function errorLines(output: string): string[] {
  return output.split('\n').filter((line) => {
    const json = /^[a-z-]+ *\| (\{.*\})$/.exec(line)?.[1];
    if (!json) return false;
    try {
      return ((JSON.parse(json) as { level?: number }).level ?? 0) >= 50;
    } catch {
      return false;
    }
  });
}

describe('two commands: npm start and infra:down', () => {
  it('npm start reports the four services and the console ready within 120 s without an error line, prints a working curl per role, and SIGTERM stops them all', async () => {
    const prefix = `two${Date.now().toString(36)}`;
    const ports = await Promise.all(SERVICES.map(() => freePort()));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      // dist/ is built by CI before the tests; a newcomer's first `npm test` builds it here.
      KIELTO_SKIP_BUILD: built ? '1' : '0',
      MONGODB_DB_PREFIX: prefix,
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      KIELTO_API_KEYS: API_KEYS_SETTING,
      KIELTO_SERVICE_KEY: KEYS.admin,
      ...UNLIMITED_ACCESS,
      KIELTO_PARTNER_HASH_KEY: PARTNER_HASH_KEY,
      SUPPRESSION_INSTANCE_ID: prefix,
    };
    SERVICES.forEach((s, i) => (env[`${s.toUpperCase().replace('-', '_')}_PORT`] = String(ports[i])));
    const started = Date.now();
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], { cwd: root, env });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (output.includes('all services ready')) {
            clearInterval(timer);
            resolve();
          } else if (/NOT READY|exited/.test(output) || child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`npm start failed:\n${output.slice(-3000)}`));
          }
        }, 200);
      });
      const readyMs = Date.now() - started;
      expect(readyMs).toBeLessThan(built ? 120_000 : 300_000);
      for (const port of ports) {
        expect(output).toContain(`http://127.0.0.1:${port}  ready`);
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
        expect(res.status).toBe(200);
      }
      // The console is listed and serves its sign-in page with the development-key form.
      expect(output).toMatch(/\[kielto\] console +http:\/\/127\.0\.0\.1:\d+ +ready/);
      const signIn = await fetch(`http://127.0.0.1:${ports[SERVICES.indexOf('console')]}/login`);
      expect(signIn.status).toBe(200);
      expect(await signIn.text()).toContain('type="password"');
      // A normal start against fresh topics logs nothing at error level (pino 50) or above.
      expect(errorLines(output)).toEqual([]);
      // It prints the keys it accepts and one request per role; each works as printed.
      for (const [role, key] of Object.entries(KEYS))
        expect(output).toMatch(new RegExp(`\\[kielto\\] +${role} +${key}`));
      const curls = output.split('\n').flatMap((l) => /^\[kielto\] +(curl .*)$/.exec(l)?.[1] ?? []);
      expect(curls.map((c) => /Bearer ([^']+)/.exec(c)?.[1])).toEqual([
        KEYS.admin,
        KEYS.staff,
        KEYS.marketing,
        KEYS.partner,
        KEYS.dpo,
      ]);
      for (const curl of curls) {
        const { stdout } = await run('bash', ['-c', curl]);
        expect(() => JSON.parse(stdout) as unknown).not.toThrow();
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const port of ports) await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
    } finally {
      // SIGTERM first: start.js stops the services it started; a SIGKILL alone would leave them running.
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([
          exited.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), 30_000)),
        ]);
        if (!stopped) child.kill('SIGKILL');
      }
      await dropDatabases(prefix);
    }
  }, 360_000);

  it('infra:down stops every process infra:up started, and only those', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'kielto-infra-'));
    const [kafka, controller, mongo] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KIELTO_DATA_DIR: data,
      KIELTO_KAFKA_PORT: String(kafka),
      KIELTO_KAFKA_CONTROLLER_PORT: String(controller),
      KIELTO_MONGO_PORT: String(mongo),
    };
    delete env.KAFKA_BROKERS;
    delete env.MONGODB_URI;
    const infra = path.join(root, 'scripts', 'infra.sh');
    const sharedBefore = (await run('bash', [infra, 'status'])).stdout;
    try {
      await run('bash', [infra, 'up'], { env, timeout: 180_000 });
      const pids = ['kafka.pid', 'ferretdb.pid'].map((f) => Number(readFileSync(path.join(data, f), 'utf8')));
      for (const pid of pids) expect(alive(pid)).toBe(true);
      // A second `up` is idempotent: the same processes.
      await run('bash', [infra, 'up'], { env, timeout: 60_000 });
      expect(['kafka.pid', 'ferretdb.pid'].map((f) => Number(readFileSync(path.join(data, f), 'utf8')))).toEqual(pids);

      await run('bash', [infra, 'down'], { env, timeout: 120_000 });
      for (const pid of pids) expect(alive(pid)).toBe(false);
      const { stdout } = await run('bash', [infra, 'status'], { env });
      expect(stdout).toMatch(/Kafka: stopped/);
      expect(stdout).toMatch(/FerretDB: stopped/);
      // The shared servers the rest of the suite uses are untouched.
      expect((await run('bash', [infra, 'status'])).stdout).toBe(sharedBefore);
    } finally {
      await run('bash', [infra, 'down'], { env, timeout: 120_000 }).catch(() => undefined);
      rmSync(data, { recursive: true, force: true });
    }
  }, 360_000);
});
