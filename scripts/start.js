#!/usr/bin/env node
// `npm start`: brings up Kafka and FerretDB if needed, builds, starts the four services, waits until each
// answers /health/ready, prints their URLs, and on Ctrl-C / SIGTERM stops the services and whatever
// infrastructure it started itself.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { createHmac } = require('node:crypto');
const path = require('node:path');
const { projectNode } = require('./project-node');

const root = path.join(__dirname, '..');
const infra = path.join(root, 'scripts', 'infra.sh');
// Ports: CUSTOMERS_PORT, CONSENTS_PORT, DIRECTORY_BANS_PORT, SUPPRESSION_PORT, CONSOLE_PORT override the defaults.
// The console (staff and DPO pages) talks to the four services over HTTP, at the addresses given to it below.
const SERVICES = [
  { name: 'customers', port: 3001 },
  { name: 'consents', port: 3002 },
  { name: 'directory-bans', port: 3003 },
  { name: 'suppression', port: 3004 },
  { name: 'console', port: 3000 },
].map(({ name, port }) => ({ name, port: Number(process.env[`${name.toUpperCase().replace('-', '_')}_PORT`] || port) }));
const host = process.env.HOST || '127.0.0.1';
const children = new Map();
let infraStartedHere = false;
let stopping = false;

const log = (msg) => process.stdout.write(`[kielto] ${msg}\n`);

function mainOf(name) {
  return path.join(root, 'dist', 'apps', name, 'apps', name, 'src', 'main.js');
}

/**
 * The key of each role the services accept, from KIELTO_API_KEYS or else the development keys (taken from the
 * build, where the services take them). Hashed entries have no key to show. Never used in production.
 */
function keysByRole() {
  const platform = path.join(root, 'dist', 'apps', 'customers', 'libs', 'platform', 'src', 'config', 'base-env.js');
  const { DEVELOPMENT_API_KEYS, DEVELOPMENT_SECRET } = require(platform);
  const keys = {};
  for (const item of (process.env.KIELTO_API_KEYS || DEVELOPMENT_API_KEYS).split(',')) {
    const [role, ...rest] = item.trim().split(':');
    const key = rest.join(':');
    if (role && key && !key.startsWith('sha256:') && !keys[role]) keys[role] = key;
  }
  return { keys, development: !process.env.KIELTO_API_KEYS, partnerHashKey: process.env.KIELTO_PARTNER_HASH_KEY || DEVELOPMENT_SECRET };
}

/** One request per role that answers 200 on a fresh start, to copy into a shell. */
function tryIt(urls) {
  const { keys, development, partnerHashKey } = keysByRole();
  const email = 'matti@example.fi';
  const emailHash = createHmac('sha256', partnerHashKey).update(email, 'utf8').digest('hex');
  const requests = {
    admin: `${urls.customers}/v1/audit?limit=5`,
    staff: `${urls.consents}/v1/consents?email=${email}`,
    marketing: `${urls.suppression}/v1/suppression/check?channel=email&purpose=own-marketing&email=${email}`,
    partner: `${urls.suppression}/v1/suppression/check?channel=email&purpose=partner-marketing&emailHash=${emailHash}`,
    // Identity codes travel in a body, never in a URL; an unknown code answers [].
    dpo: [`${urls.customers}/v1/customers/search`, '{"personalIdentityCode":"131052-308T"}'],
  };
  const lines = [development ? 'development keys (KIELTO_API_KEYS is not set):' : 'keys of KIELTO_API_KEYS:'];
  for (const role of Object.keys(requests)) lines.push(`  ${role.padEnd(10)} ${keys[role] ?? '(hashed or none)'}`);
  lines.push('one request per role (README "Five minutes" walks through more):');
  for (const [role, request] of Object.entries(requests)) {
    const [url, body] = Array.isArray(request) ? request : [request];
    const post = body === undefined ? '' : ` -H 'Content-Type: application/json' -d '${body}'`;
    lines.push(`  curl -fsS -H 'Authorization: Bearer ${keys[role] ?? `<your ${role} key>`}'${post} '${url}'`);
  }
  return lines;
}

async function waitReady(url, deadline) {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

function prefixLines(name, stream, out) {
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop();
    for (const line of lines) out.write(`${name.padEnd(14)}| ${line}\n`);
  });
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  log('stopping services…');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 15000).unref();
        }),
    ),
  );
  if (infraStartedHere) execFileSync('bash', [infra, 'down'], { stdio: 'inherit' });
  process.exit(code);
}

async function main() {
  const before = execFileSync('bash', [infra, 'status'], { encoding: 'utf8' });
  execFileSync('bash', [infra, 'up'], { stdio: 'inherit' });
  infraStartedHere = !/running/.test(before);
  if (process.env.KIELTO_SKIP_BUILD !== '1') {
    log('building…');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const serviceUrls = Object.fromEntries(
    SERVICES.filter(({ name }) => name !== 'console').map(({ name, port }) => [
      `${name.toUpperCase().replace('-', '_')}_URL`,
      process.env[`${name.toUpperCase().replace('-', '_')}_URL`] || `http://${host}:${port}`,
    ]),
  );
  for (const { name, port } of SERVICES) {
    const child = spawn(projectNode(), ['--enable-source-maps', mainOf(name)], {
      cwd: root,
      env: { ...process.env, ...(name === 'console' ? serviceUrls : {}), PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(name, child.stdout, process.stdout);
    prefixLines(name, child.stderr, process.stderr);
    child.on('exit', (code, signal) => {
      if (!stopping) {
        log(`${name} exited (${signal || code}); stopping everything`);
        void stop(1);
      }
    });
    children.set(name, child);
  }
  const deadline = Date.now() + 120000;
  const results = await Promise.all(SERVICES.map(({ port }) => waitReady(`http://${host}:${port}`, deadline)));
  SERVICES.forEach(({ name, port }, i) =>
    log(
      `${name.padEnd(14)} http://${host}:${port}  ${results[i] ? 'ready' : 'NOT READY'}  ${
        name === 'console' ? '(staff and DPO pages; sign in with the staff, dpo or admin key)' : '(docs: /docs)'
      }`,
    ),
  );
  if (results.every(Boolean)) {
    if (process.env.NODE_ENV !== 'production') {
      const urls = Object.fromEntries(SERVICES.map(({ name, port }) => [name, `http://${host}:${port}`]));
      for (const line of tryIt(urls)) log(line);
    }
    log('all services ready — Ctrl-C stops everything');
  }
  else log('some services are not ready; see their logs above');
}

main().catch((error) => {
  console.error(error);
  void stop(1);
});
