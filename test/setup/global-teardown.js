const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalTeardown() {
  if (process.env.KIELTO_TEST_STARTED_INFRA !== '1' || process.env.KIELTO_KEEP_INFRA === '1') return;
  execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'infra.sh'), 'down'], { stdio: 'inherit' });
};
