import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');

/**
 * The decision engine, the column store, the snapshot codec and the partner-feed value are plain code: loading
 * them must not load Nest, the decorated DTOs and event classes (class-validator, class-transformer) or the
 * AsyncAPI builder. They import the contracts through the subpath entries (`@kielto/contracts/enums`, `/rules`,
 * `/feed`, `/event-names`); an import of the barrel `@kielto/contracts` would load all of it, and this test fails.
 */
describe('the engine modules load only plain code', () => {
  it('loads no Nest, class-validator, class-transformer or AsyncAPI builder', () => {
    const modules = [
      'apps/suppression/src/engine',
      'apps/suppression/src/feed/partner-feed',
      'apps/suppression/src/check/decision-json',
    ];
    const script = `${modules.map((m) => `require(${JSON.stringify(path.join(root, m))});`).join('')}
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const run = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', '-e', script],
      { cwd: root, encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'tsconfig.json') } },
    );
    expect(run.stderr).toBe('');
    const loaded = (JSON.parse(run.stdout) as string[]).map((f) => path.relative(root, f));
    expect(loaded.filter((f) => f.startsWith('apps/suppression/src/')).length).toBeGreaterThanOrEqual(modules.length);
    const forbidden =
      /node_modules\/(class-validator|class-transformer|@nestjs)\/|libs\/contracts\/src\/(asyncapi\/|events\/(?!names\.ts$))/;
    expect(loaded.filter((f) => forbidden.test(f))).toEqual([]);
  });
});
