'use strict';
// The four kielto services and the staff console one image can run, with their default ports (docs/CONTRACT.md §2).
// Shared by entrypoint.js and healthcheck.js so the two can never disagree.
const path = require('node:path');
const fs = require('node:fs');

const APPS = Object.freeze({
  customers: 3001,
  consents: 3002,
  'directory-bans': 3003,
  suppression: 3004,
  console: 3000,
});

const ROOT = path.resolve(__dirname, '..');

/**
 * Where `nest build <app>` left the app's main.js. With `webpack: false` and the libs compiled alongside,
 * tsc's root is the repo root, so the file may sit under dist/apps/<app>/apps/<app>/src/ instead of
 * dist/apps/<app>/; both layouts are accepted.
 */
function mainFileOf(app) {
  const candidates = [
    path.join(ROOT, 'dist', 'apps', app, 'main.js'),
    path.join(ROOT, 'dist', 'apps', app, 'apps', app, 'src', 'main.js'),
  ];
  return { found: candidates.find((file) => fs.existsSync(file)), candidates };
}

/** The port the app listens on: $PORT when given, else the app's default. */
function portOf(app) {
  const fromEnv = process.env.PORT;
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv);
  return APPS[app];
}

module.exports = { APPS, ROOT, mainFileOf, portOf };
