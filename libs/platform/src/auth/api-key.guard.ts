import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role } from '@kielto/contracts';
import { ProblemException } from '../http/problem';
import { AccessPolicy, Admission, isDenial } from '../security/access-policy';
import { AuthenticatedRequest, PUBLIC_KEY, ROLES_KEY } from './roles.decorator';

/**
 * Global guard: every HTTP route needs `Authorization: Bearer <key or sign-in token>` unless marked @Public(). A route
 * without @Roles() is admin-only, so a forgotten decorator closes a route rather than opening it.
 *
 * Requests normally arrive authenticated already (AccessPolicy in Fastify's onRequest, before the body is read);
 * the guard checks the role against the handler's metadata once more, and applies the whole policy to a request
 * the hook did not see.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: AccessPolicy,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | 'limited'>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { ip?: string }>();
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    const admission =
      request.actor ?? this.policy.admit(request.headers.authorization, allowed, request.ip ?? 'unknown');
    if (admission instanceof Promise) return admission.then((a) => this.settle(request, a, allowed));
    return this.settle(request, admission, allowed);
  }

  private settle(request: AuthenticatedRequest, admission: Admission, allowed: Role[]): boolean {
    if (isDenial(admission)) {
      const headers = admission.retryAfter ? { 'retry-after': String(admission.retryAfter) } : undefined;
      throw new ProblemException(admission.status, admission.type, admission.detail, undefined, headers);
    }
    if (!this.policy.mayCall(admission, allowed)) {
      throw new ProblemException(403, 'forbidden', `The ${admission.role} role may not call this route`);
    }
    request.actor = admission;
    return true;
  }
}
