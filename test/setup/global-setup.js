// Brings up the real Kafka and FerretDB once for the whole jest run (unless KAFKA_BROKERS / MONGODB_URI are
// given) and remembers whether it started them, so that the teardown stops only what this run started.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const infra = path.join(__dirname, '..', '..', 'scripts', 'infra.sh');

module.exports = async function globalSetup(globalConfig) {
  const onlyUnit = globalConfig.selectProjects && globalConfig.selectProjects.every((p) => p === 'unit');
  if (onlyUnit) return;
  const before = execFileSync('bash', [infra, 'status'], { encoding: 'utf8' });
  execFileSync('bash', [infra, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  process.env.KIELTO_TEST_STARTED_INFRA = /running/.test(before) ? '' : '1';
};
