#!/usr/bin/env node
'use strict';
// Container entry point: `node docker/entrypoint.js <app>` runs dist/…/<app>/main.js in this very process
// (the moral equivalent of `exec`), so the app is the process that receives the container's signals.
const { APPS, mainFileOf, portOf } = require('./apps');

const USAGE = `usage: docker run <image> <app>   (app: ${Object.keys(APPS).join(' | ')})`;
const app = process.argv[2];

if (app === undefined || app === '' || app === '-h' || app === '--help') {
  process.stderr.write(`kielto: no app given\n${USAGE}\n`);
  process.exit(64);
}
if (!Object.prototype.hasOwnProperty.call(APPS, app)) {
  process.stderr.write(`kielto: unknown app "${app}"\n${USAGE}\n`);
  process.exit(64);
}

const { found, candidates } = mainFileOf(app);
if (found === undefined) {
  process.stderr.write(`kielto: ${app} is not built: none of ${candidates.join(', ')} exists\n`);
  process.exit(66);
}

process.env.PORT = String(portOf(app));
process.env.HOST = process.env.HOST || '0.0.0.0';

// As PID 1 (no `init: true`), the kernel drops signals that have no handler, so `docker stop` would wait
// for its timeout and then SIGKILL. Exit on SIGTERM/SIGINT only when the app did not install its own
// handler (Nest's enableShutdownHooks does, and re-raises the signal once its hooks have run).
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (process.listenerCount(signal) === 1) process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
}

// The app sees the argv it would have had under `node dist/…/main.js`.
process.argv = [process.argv[0], found, ...process.argv.slice(3)];
require(found);
