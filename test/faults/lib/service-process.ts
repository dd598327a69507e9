import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync, WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, sleep } from './private-infra';

export type ServiceName = 'customers' | 'consents' | 'directory-bans' | 'suppression';
export const SERVICES: readonly ServiceName[] = ['customers', 'consents', 'directory-bans', 'suppression'];

/** How a service process is started: the built JS (fast restarts) or the TypeScript sources via ts-node. */
export type LaunchMode = 'dist' | 'ts-node';

export const distMain = (name: ServiceName) => path.join(ROOT, 'dist', 'apps', name, 'apps', name, 'src', 'main.js');

/** Newest mtime of the .ts sources a service is built from (its own src and the two libraries). */
function newestSource(name: ServiceName): number {
  let newest = 0;
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
        newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(path.join(ROOT, 'apps', name, 'src'));
  walk(path.join(ROOT, 'libs', 'platform', 'src'));
  walk(path.join(ROOT, 'libs', 'contracts', 'src'));
  return newest;
}

/** Builds each service whose dist/ is missing or older than its sources (`nest build <app>`). */
export async function ensureBuilt(log: (msg: string) => void): Promise<void> {
  for (const name of SERVICES) {
    const main = distMain(name);
    if (existsSync(main) && statSync(main).mtimeMs >= newestSource(name)) continue;
    log(`building ${name} (dist missing or older than its sources)`);
    await promisify(execFile)('npx', ['nest', 'build', name], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcessOptions {
  name: ServiceName;
  port: number;
  env: Record<string, string>;
  logDir: string;
  mode?: LaunchMode;
}

/**
 * One service as its own OS process on a fixed port, so that it can be SIGKILLed, SIGTERMed and started again
 * exactly like in production. Its output goes to `<logDir>/<name>.log` (appended across restarts).
 */
export class ServiceProcess {
  readonly name: ServiceName;
  readonly port: number;
  readonly url: string;
  private child?: ChildProcess;
  private exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly log: WriteStream;
  starts = 0;

  constructor(private readonly options: ServiceProcessOptions) {
    this.name = options.name;
    this.port = options.port;
    this.url = `http://127.0.0.1:${options.port}`;
    mkdirSync(options.logDir, { recursive: true });
    this.log = createWriteStream(path.join(options.logDir, `${options.name}.log`), { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const mode = this.options.mode ?? 'dist';
    const args =
      mode === 'dist'
        ? ['--enable-source-maps', distMain(this.name)]
        : [
            '-r',
            'ts-node/register/transpile-only',
            '-r',
            'tsconfig-paths/register',
            path.join('apps', this.name, 'src', 'main.ts'),
          ];
    this.starts++;
    this.log.write(`\n==== start #${this.starts} ${new Date().toISOString()} ====\n`);
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...this.options.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Polls /health/ready until 200. */
  async waitReady(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited while starting (see its log)`);
      try {
        const res = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return Date.now() - started;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms`);
  }

  /** Sends the signal and resolves with how the process ended. */
  async stop(
    signal: NodeJS.Signals,
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || !this.exited) throw new Error(`${this.name} was never started`);
    if (this.running) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.running) await this.stop('SIGTERM', 15_000);
    this.log.end();
  }
}
