import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/**
 * The compose file runs the full stack on a Docker host. Here only the client exists (CI installs Debian's
 * docker-compose through scripts/setup-system.sh), so the file is validated: it renders with the example env,
 * and refuses to render without any one secret.
 */
describe('containers: docker/compose.yaml', () => {
  it('passes docker/validate.sh (renders with the example env; no secret has a default)', () => {
    const run = spawnSync('bash', [path.join(root, 'docker', 'validate.sh')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toMatch(/validate: OK/);
    expect(run.status).toBe(0);
    // The rendered file has the four services and the infrastructure, each with a health check.
    for (const service of ['mongo', 'kafka', 'customers', 'consents', 'directory-bans', 'suppression']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${service}:$`, 'm'));
    }
    expect(run.stdout.match(/^ {4}healthcheck:$/gm)?.length).toBeGreaterThanOrEqual(6);
  });
});
