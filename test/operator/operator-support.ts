import { spawn } from 'node:child_process';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { MONGODB_URI, type Stack } from '../support/stack';

const root = path.join(__dirname, '..', '..');
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

/** Drops the databases and topics of a test's prefix (each test file uses its own). */
export async function dropTestData(prefix: string): Promise<void> {
  const client = await MongoClient.connect(MONGODB_URI);
  try {
    const { databases } = await client.db().admin().listDatabases();
    for (const { name } of databases) if (name.startsWith(`${prefix}-`)) await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
  const admin = new Kafka({
    clientId: 'operator-e2e-cleanup',
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/kielto.js` as a child process against the stack's services, as an operator would. */
export function runCli(
  stack: Stack | undefined,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 840_000,
): Promise<CliRun> {
  const urls = stack
    ? Object.fromEntries(
        Object.entries(stack.urls).map(([service, url]) => [
          `KIELTO_URL_${service.toUpperCase().replace(/-/g, '_')}`,
          url,
        ]),
      )
    : {};
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'kielto.js'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...urls, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Never outlive the test: a hung run is killed and shows up as a failed exit.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
