/** Shared by the CLI's unit tests (not part of the CLI: cli/tsconfig.json leaves it out). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Captures what the CLI writes to stdout and stderr (and keeps it off the test output). */
export function captureOutput(): { stdout: () => string; stderr: () => string } {
  const text = (stream: NodeJS.WriteStream) => {
    const chunks: string[] = [];
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
    return () => chunks.join('');
  };
  return { stdout: text(process.stdout), stderr: text(process.stderr) };
}

/** A temporary directory per test file: `file(name, text)` writes a file in it and returns its path. */
export function tempFiles(): { dir: () => string; file: (name: string, text: string) => Promise<string> } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kielto-cli-unit-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return {
    dir: () => dir,
    file: async (name, text) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
  };
}
