// Prepares the machine for the whole jest run, so that `npm test` needs nothing run first: the Debian packages
// the browser and compose tests use (scripts/setup-system.sh), and the real Kafka and FerretDB (unless
// KAFKA_BROKERS / MONGODB_URI are given), remembering whether it started them, so that the teardown stops only
// what this run started.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const scripts = path.join(__dirname, '..', '..', 'scripts');
const infra = path.join(scripts, 'infra.sh');

module.exports = async function globalSetup(globalConfig) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    console.warn(`\n[setup] jest runs on Node ${process.version}; the project runs on Node 24 (npm test uses it)`);
  }
  const onlyUnit = globalConfig.selectProjects && globalConfig.selectProjects.every((p) => p === 'unit');
  if (onlyUnit) return;
  try {
    execFileSync('bash', [path.join(scripts, 'setup-system.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    // setup-system.sh said what is missing and how to install it; the tests that need it fail on their own.
    console.warn('[setup] continuing without them');
  }
  const before = execFileSync('bash', [infra, 'status'], { encoding: 'utf8' });
  execFileSync('bash', [infra, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  process.env.KIELTO_TEST_STARTED_INFRA = /running/.test(before) ? '' : '1';
};
