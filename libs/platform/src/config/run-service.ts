import { ConfigValidationError } from './base-env';

/** Exit status of a refused configuration (sysexits' EX_CONFIG), so supervisors need not restart in a loop. */
export const EXIT_CONFIG = 78;

/**
 * A service's main: loads and starts it, and on a configuration error prints only what is wrong (in words, one
 * line per setting) instead of a stack trace. The app module validates its environment while it is loaded, hence
 * the lazy `load`.
 */
export async function runService(
  name: string,
  load: () => Promise<{ start(): Promise<{ url: string }> }>,
): Promise<void> {
  try {
    const { url } = await (await load()).start();
    console.log(`${name} listening on ${url}`);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
}
