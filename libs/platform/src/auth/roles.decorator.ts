import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import { Role } from '@kielto/contracts';
import { Actor } from './api-keys';

export const ROLES_KEY = 'kielto:roles';
export const PUBLIC_KEY = 'kielto:public';
/** OpenAPI extension listing the roles that may call an operation (`admin` always included). */
export const ROLES_EXTENSION = 'x-kielto-roles';

/** The roles that may call a route given its @Roles list: admin may call every authenticated route. */
export const allowedRoles = (roles: readonly Role[]): Role[] => ['admin', ...roles.filter((r) => r !== 'admin')];

/**
 * Roles allowed to call a route besides `admin`, who may call every authenticated route. Also documents the
 * route in OpenAPI: bearer security and `x-kielto-roles` (401/403 problem responses are added for every
 * authenticated operation when the document is built, see docs/openapi-document.ts).
 */
export const Roles = (...roles: Role[]) =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), ApiBearerAuth(), ApiExtension(ROLES_EXTENSION, allowedRoles(roles)));

export const AUDIT_READS_KEY = 'kielto:audit-reads';
/** Every call of the route is audited, reads included: routes that return identity codes in clear. */
export const AuditReads = () => SetMetadata(AUDIT_READS_KEY, true);

/**
 * Open routes: health, metrics, docs, and the self-service pages that authenticate by a signed token. `'limited'`
 * gives the route a budget per client address (KIELTO_PUBLIC_RATE_LIMIT_PER_MINUTE; a route with its own guard,
 * a signed webhook, gets KIELTO_WEBHOOK_RATE_LIMIT_PER_MINUTE).
 */
export const Public = (rate?: 'limited') => SetMetadata(PUBLIC_KEY, rate ?? true);

export interface AuthenticatedRequest {
  actor?: Actor;
  headers: Record<string, string | string[] | undefined>;
}

/** The authenticated caller, recorded as the actor of writes. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const actor = ctx.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new Error('CurrentActor used on a route without authentication');
  return actor;
});
