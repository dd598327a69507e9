import { INestApplication, RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { Role } from '@kielto/contracts';
import { AUDIT_READS_KEY, PUBLIC_KEY, ROLES_KEY } from '../auth/roles.decorator';

/**
 * How one route is protected, read from the decorators (the metadata ApiKeyGuard reads too). A route without @Roles
 * is admin-only. `signed`: a public route that authenticates by its own guard (a webhook's HMAC signature header).
 */
export type RouteRule =
  | { public: true; signed: boolean; limit?: 'page' | 'webhook' }
  | { public: false; roles: Role[]; auditReads: boolean };

export interface RouteDescription {
  /** `METHOD /pattern`, as Fastify's `routeOptions.url` spells the pattern. */
  route: string;
  /** The operationId @nestjs/swagger gives the route: `<Controller>_<method>`. */
  operationId: string;
  rule: RouteRule;
}

/** Every Nest route of the app with its protection: the one reading of the decorators. */
export function describeRoutes(app: INestApplication): RouteDescription[] {
  const routes: RouteDescription[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => object) | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        // Reflector.getAllAndOverride semantics: the handler's metadata wins over the controller's.
        const meta = <T>(key: string): T | undefined =>
          (Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller)) as T | undefined;
        const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
        const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/').replace(/\/$/, '');
        const isPublic = meta<boolean | 'limited'>(PUBLIC_KEY);
        const signed = [
          Reflect.getMetadata(GUARDS_METADATA, handler),
          Reflect.getMetadata(GUARDS_METADATA, controller),
        ].some((g) => Array.isArray(g) && g.length > 0);
        const rule: RouteRule = isPublic
          ? { public: true, signed, limit: isPublic === 'limited' ? (signed ? 'webhook' : 'page') : undefined }
          : {
              public: false,
              roles: meta<Role[]>(ROLES_KEY) ?? [],
              auditReads: meta<boolean>(AUDIT_READS_KEY) === true,
            };
        routes.push({
          route: `${RequestMethod[method]} ${path || '/'}`,
          operationId: `${controller.name}_${name}`,
          rule,
        });
      }
    }
  }
  return routes;
}

/**
 * Every Nest route by `METHOD /pattern`, so that Fastify's onRequest hook can authenticate before the body is
 * read. HEAD is answered by the GET route and is looked up as GET.
 */
export function routeRules(app: INestApplication): Map<string, RouteRule> {
  return new Map(describeRoutes(app).map((r) => [r.route, r.rule]));
}
