import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role } from '@kielto/contracts';
import { ApiKeyRegistry } from './api-keys';
import { AuthenticatedRequest, PUBLIC_KEY, ROLES_KEY } from './roles.decorator';

/**
 * Global guard: every HTTP route needs `Authorization: Bearer <key>` unless marked @Public(). A route
 * without @Roles() is admin-only, so a forgotten decorator closes a route rather than opening it.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const actor = match ? this.keys.authenticate(match[1]) : undefined;
    if (!actor) throw new UnauthorizedException('A valid API key is required: Authorization: Bearer <key>');

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (actor.role !== 'admin' && !allowed.includes(actor.role)) {
      throw new ForbiddenException(`The ${actor.role} role may not call this route`);
    }
    request.actor = actor;
    return true;
  }
}
