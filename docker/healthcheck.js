#!/usr/bin/env node
'use strict';
// Docker HEALTHCHECK without curl (slim images have none): GET /health/ready on the app's own port with
// node's fetch. Exit 0 = healthy, 1 = unhealthy. The app is found from $PORT, else from PID 1's arguments
// (`node docker/entrypoint.js <app>`, possibly behind docker-init), else from $KIELTO_APP.
const fs = require('node:fs');
const { APPS, portOf } = require('./apps');

function appFromPid1() {
  try {
    const args = fs.readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    return args.find((arg) => Object.prototype.hasOwnProperty.call(APPS, arg));
  } catch {
    return undefined;
  }
}

const app = process.env.KIELTO_APP || appFromPid1();
const port = portOf(app);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('healthcheck: set PORT (or run the image as `<image> <app>`)\n');
  process.exit(1);
}

const url = `http://127.0.0.1:${port}/health/ready`;
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (res) => {
    if (!res.ok) process.stderr.write(`healthcheck: ${url} answered ${res.status}\n`);
    process.exit(res.ok ? 0 : 1);
  },
  (err) => {
    process.stderr.write(`healthcheck: ${url} failed: ${err && err.message}\n`);
    process.exit(1);
  },
);
