import { open } from 'node:fs/promises';
import { KieltoClient } from '../http';
import { EXIT } from '../report';

export interface ExportOptions {
  out?: string;
}

/**
 * `kielto export <customerId>`: the data-subject export (GDPR Art 15/20) gathered by the customers service from
 * all four services, as JSON on stdout or in a file readable only by its owner (it is personal data).
 */
export async function exportCommand(client: KieltoClient, customerId: string, options: ExportOptions): Promise<number> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(customerId)) throw new Error('customerId must be 1-64 of A-Z a-z 0-9 _ -');
  const response = await client.request('customers', `/v1/customers/${encodeURIComponent(customerId)}/export`, {
    retries: 3,
  });
  const json = `${JSON.stringify(await response.json(), null, 2)}\n`;
  if (options.out) {
    await writePrivately(options.out, json);
    process.stderr.write(
      `kielto export: wrote the data-subject export of ${customerId} to ${options.out} (mode 600)\n`,
    );
  } else {
    process.stdout.write(json);
  }
  return EXIT.ok;
}

/**
 * Writes a file only its owner may read, also over an existing file: `writeFile`'s mode applies only when it
 * creates the file, so an existing world-readable file stayed world-readable. The mode is set before the content.
 */
export async function writePrivately(file: string, content: string): Promise<void> {
  const handle = await open(file, 'w', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}
