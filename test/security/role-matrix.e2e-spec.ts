import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { KEYS, ServiceName, startStack, Stack } from '../support/stack';

type Role = keyof typeof KEYS;
/**
 * Who may call a route besides admin; 'public' = no key needed (health, metrics, self-service by token);
 * 'signed' = authenticated by an HMAC signature header instead of a key (webhooks): 401 without it, keys irrelevant.
 */
type Access = 'public' | 'signed' | Role[];

/**
 * The role matrix of docs/CONTRACT.md §3, written out independently of the decorators. Every route the Nest router
 * knows must appear here, so a new route cannot be added without deciding who may call it.
 */
const COMMON: Record<string, Access> = {
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'public',
  'GET /docs/asyncapi.json': 'public',
  // dpo: only with `subject` (who read a person's data); the whole trail stays admin's (test/security/read-audit).
  'GET /v1/audit': ['dpo'],
};
/** The query a route is called with, where the route needs one to be allowed at all. */
const QUERIES: Record<string, Record<string, string>> = {
  'GET /v1/audit': { subject: '00000000-0000-4000-8000-000000000000' },
};
const MATRIX: Record<ServiceName, Record<string, Access>> = {
  customers: {
    ...COMMON,
    'POST /v1/customers': ['staff'],
    'POST /v1/customers/import': ['staff'],
    'POST /v1/customers/population-register-bans/import': ['staff'],
    'GET /v1/customers': ['staff', 'dpo'],
    'POST /v1/customers/search': ['dpo'],
    'GET /v1/customers/:id': ['staff', 'dpo'],
    'PATCH /v1/customers/:id': ['staff'],
    'DELETE /v1/customers/:id': ['staff'],
    'PUT /v1/customers/:id/restriction': ['staff'],
    'DELETE /v1/customers/:id/restriction': ['staff'],
    'GET /v1/customers/:id/export': ['dpo'],
    'PUT /v1/customers/:id/legal-hold': ['staff'],
    'DELETE /v1/customers/:id/legal-hold': ['staff'],
    'GET /v1/retention/due': ['dpo'],
    'POST /v1/retention/run': [],
    'POST /v1/requests': ['staff', 'dpo'],
    'GET /v1/requests': ['staff', 'dpo'],
    'GET /v1/requests/:id': ['staff', 'dpo'],
    'PATCH /v1/requests/:id': ['staff', 'dpo'],
    // The consents service's link of an objection or withdrawal (X-Kielto-Dsr), with the service key.
    'POST /v1/requests/:id/trail': [],
    'GET /v1/subjects/export': ['dpo'],
    'DELETE /v1/subjects': ['dpo'],
  },
  consents: {
    ...COMMON,
    'POST /v1/consents': ['staff'],
    'POST /v1/consents/import': ['staff'],
    'GET /v1/consents': ['staff', 'dpo'],
    'DELETE /v1/consents': [],
    'POST /v1/unsubscribe-links': ['staff', 'marketing'],
    'POST /v1/unsubscribe-links/revocations': ['staff'],
    'GET /u/:token': 'public',
    'POST /u/:token': 'public',
    'POST /v1/inbound/sms': 'signed',
  },
  'directory-bans': {
    ...COMMON,
    'GET /v1/directory-bans': ['staff'],
    'GET /v1/directory-bans/:customerId': ['staff', 'dpo'],
    'GET /v1/directory-bans/:customerId/history': ['staff', 'dpo'],
    'PUT /v1/directory-bans/:customerId': ['staff'],
    'DELETE /v1/directory-bans/:customerId': ['staff'],
    'POST /v1/directory-bans/import': ['staff'],
    'GET /v1/directory/export': ['staff'],
  },
  suppression: {
    ...COMMON,
    'GET /v1/suppression/check': ['staff', 'marketing', 'partner', 'dpo'],
    'POST /v1/suppression/check': ['staff', 'marketing', 'partner'],
    'POST /v1/suppression/check/stream': ['staff', 'marketing', 'partner'],
    'POST /v1/campaigns/:campaignId/clearance': ['staff', 'marketing'],
    'GET /v1/campaigns/:campaignId/clearances': ['staff', 'marketing', 'dpo'],
    'GET /v1/suppression/entries': ['staff', 'dpo'],
    'POST /v1/suppression/entries': ['staff'],
    'POST /v1/suppression/entries/import': ['staff'],
    'DELETE /v1/suppression/entries/:id': ['staff'],
    'GET /v1/suppression/registers': ['staff'],
    'PUT /v1/suppression/registers/:register': ['staff'],
    'GET /v1/suppression/state/digest': [],
  },
};

/** Every route registered with the Nest router of a running app, as "METHOD /path". */
function routesOf(stack: Stack, service: ServiceName): string[] {
  const modules = stack.apps[service]!.app.get(ModulesContainer);
  const routes: string[] = [];
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new () => object) | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
        const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/').replace(/\/$/, '');
        routes.push(`${method} ${path || '/'}`);
      }
    }
  }
  return routes.sort();
}

const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';
const ROLES: Role[] = ['staff', 'marketing', 'partner', 'dpo', 'admin'];

describe('role matrix: every route of every service', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Customers last, so that it knows the others' addresses (it gathers `GET /v1/audit?subject=` from them).
    stack = await startStack(['consents', 'directory-bans', 'suppression', 'customers']);
  });
  afterAll(() => stack?.close());

  it.each(Object.keys(MATRIX) as ServiceName[])('%s: the router has exactly the routes of the matrix', (service) => {
    expect(routesOf(stack, service)).toEqual(Object.keys(MATRIX[service]).sort());
  });

  it.each(Object.keys(MATRIX) as ServiceName[])(
    '%s: no key → 401, wrong role → 403, right role → neither',
    async (service) => {
      const failures: string[] = [];
      for (const [route, access] of Object.entries(MATRIX[service])) {
        const [method, pattern] = route.split(' ');
        const path = pattern.replace(/:[A-Za-z]+/g, SAMPLE_ID);
        const call = (role?: Role) => {
          const req = request(stack.urls[service])
            [method.toLowerCase() as 'get'](path)
            .query(QUERIES[route] ?? {});
          if (role) req.set('Authorization', `Bearer ${KEYS[role]}`);
          return method === 'GET' || method === 'DELETE' ? req : req.set('content-type', 'application/json').send('{}');
        };
        const anonymous = await call();
        if (access === 'public') {
          if ([401, 403].includes(anonymous.status))
            failures.push(`${route} without key: ${anonymous.status}, expected open`);
          continue;
        }
        if (anonymous.status !== 401) failures.push(`${route} without key: ${anonymous.status}, expected 401`);
        if (access === 'signed') {
          const withKey = await call('admin');
          if (withKey.status !== 401)
            failures.push(`${route} with a key but no signature: ${withKey.status}, expected 401`);
          continue;
        }
        for (const role of ROLES) {
          const res = await call(role);
          const allowed = role === 'admin' || access.includes(role);
          if (allowed && [401, 403].includes(res.status))
            failures.push(`${route} as ${role}: ${res.status}, expected allowed`);
          if (!allowed && res.status !== 403) failures.push(`${route} as ${role}: ${res.status}, expected 403`);
        }
      }
      expect(failures).toEqual([]);
    },
  );
});
