import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = path.resolve(__dirname, '..', '..', '..');
const INFRA = path.join(ROOT, 'scripts', 'infra.sh');

/** The servers infra.sh starts, by the name of their pid file; `postgresql` only on that backend. */
export type InfraProcess = 'kafka' | 'ferretdb' | 'postgresql';

export interface PrivateInfraOptions {
  dataDir: string;
  kafkaPort: number;
  controllerPort: number;
  mongoPort: number;
  /** PostgreSQL under FerretDB when KIELTO_FERRETDB_BACKEND=postgresql: a cluster of this pair's own as well. */
  pgPort: number;
}

/**
 * A Kafka + FerretDB pair of our own (scripts/infra.sh with its own data directory and ports), so that the
 * fault tests can kill and restart the broker and the database without touching the shared servers that other
 * test runs use. Only processes whose pids this pair's infra.sh wrote are ever signalled.
 */
export class PrivateInfra {
  constructor(readonly options: PrivateInfraOptions) {}

  static fromEnv(): PrivateInfra {
    return new PrivateInfra({
      dataDir: process.env.KIELTO_FAULTS_DATA_DIR ?? '/tmp/kielto-faults',
      kafkaPort: Number(process.env.KIELTO_FAULTS_KAFKA_PORT ?? 19092),
      controllerPort: Number(process.env.KIELTO_FAULTS_KAFKA_CONTROLLER_PORT ?? 19093),
      mongoPort: Number(process.env.KIELTO_FAULTS_MONGO_PORT ?? 27018),
      pgPort: Number(process.env.KIELTO_FAULTS_PG_PORT ?? 54339),
    });
  }

  get kafkaBrokers(): string {
    return `127.0.0.1:${this.options.kafkaPort}`;
  }

  get mongoUri(): string {
    return `mongodb://127.0.0.1:${this.options.mongoPort}/?directConnection=true&retryWrites=false`;
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KIELTO_DATA_DIR: this.options.dataDir,
      KIELTO_KAFKA_PORT: String(this.options.kafkaPort),
      KIELTO_KAFKA_CONTROLLER_PORT: String(this.options.controllerPort),
      KIELTO_MONGO_PORT: String(this.options.mongoPort),
      KIELTO_PG_PORT: String(this.options.pgPort),
    };
    // infra.sh skips a server whose address is given: this pair is always started here.
    delete env.KAFKA_BROKERS;
    delete env.MONGODB_URI;
    return env;
  }

  private async infra(command: 'up' | 'down' | 'status'): Promise<string> {
    const { stdout } = await run('bash', [INFRA, command], { env: this.env(), maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  /** Starts whichever of the two is not running (infra.sh up is idempotent). */
  async up(): Promise<void> {
    await this.infra('up');
  }

  async down(): Promise<void> {
    await this.infra('down');
  }

  async status(): Promise<string> {
    return this.infra('status');
  }

  pid(which: InfraProcess): number | undefined {
    const file = path.join(this.options.dataDir, `${which}.pid`);
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** kill -9 of the broker or the database started by this pair; resolves once the process is gone. */
  async kill(which: InfraProcess): Promise<number> {
    const pid = this.pid(which);
    if (pid === undefined) throw new Error(`no ${which}.pid in ${this.options.dataDir}: was the pair started here?`);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    while (alive(pid)) {
      if (Date.now() > deadline) throw new Error(`${which} (pid ${pid}) survived SIGKILL`);
      await sleep(50);
    }
    return pid;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
