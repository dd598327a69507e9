import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

/**
 * The real headless Chromium of the machine (Debian's, installed by scripts/setup-system.sh), in a throw-away
 * profile, allowed to load nothing but `origins`: pages may not pull third-party assets.
 */
export async function launchChromium(
  what: string,
  origins: () => string[],
  viewport = { width: 1100, height: 1300 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Headless Chromium is required at ${CHROMIUM}: run scripts/setup-system.sh (apt-get install chromium)`,
    );
  }
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'kielto-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`Headless Chromium (${CHROMIUM}) could not start; ${what} cannot be tested: ${String(error)}`);
  }
  await context.route('**/*', (route) =>
    origins().some((o) => route.request().url().startsWith(o)) ? route.continue() : route.abort('blockedbyclient'),
  );
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
