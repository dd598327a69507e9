import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportCommand } from '../../cli/commands/export';
import type { KieltoClient } from '../../cli/http';
import { csvLine, neutraliseFormula } from '../../cli/input';

/** Issue 19 (10): what the CLI writes for people is safe to open and stays private. No servers needed. */
describe('kielto CLI output files', () => {
  describe(neutraliseFormula.name, () => {
    it.each(['=HYPERLINK("http://evil.example","x")', '+cmd|calc', '-2+3+cmd|calc', '@SUM(A1)', '\t=1', '\r=1'])(
      'neutralises %j',
      (cell) => {
        expect(neutraliseFormula(cell)).toBe(`'${cell}`);
      },
    );

    it.each(['+358 40 123 4567', '+358401234567', '-12.5', 'matti@example.fi', 'Matti Meikäläinen', ''])(
      'leaves %j as it is',
      (cell) => {
        expect(neutraliseFormula(cell)).toBe(cell);
      },
    );

    it('neutralises inside allowed.csv / suppressed.csv rows and still quotes per RFC 4180', () => {
      expect(csvLine(['=1+1', '+358401234567', 'a,b', '@x "y"'])).toBe(`'=1+1,+358401234567,"a,b","'@x ""y"""\n`);
    });
  });

  it('kielto export --out writes mode 600, also over an existing world-readable file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kielto-export-'));
    try {
      const out = path.join(dir, 'export.json');
      writeFileSync(out, 'old', { mode: 0o644 });
      const client = {
        request: () => Promise.resolve({ json: () => Promise.resolve({ customer: { id: 'c1' } }) }),
      } as unknown as KieltoClient;
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await exportCommand(client, 'c1', { out });
      } finally {
        stderr.mockRestore();
      }
      expect(statSync(out).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ customer: { id: 'c1' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
