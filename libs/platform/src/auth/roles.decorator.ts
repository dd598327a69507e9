import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Role } from '@kielto/contracts';
import { Actor } from './api-keys';

export const ROLES_KEY = 'kielto:roles';
export const PUBLIC_KEY = 'kielto:public';

/** Roles allowed to call a route besides `admin`, who may call every authenticated route. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** Open routes: health, metrics, docs, and the self-service pages that authenticate by a signed token. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

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
