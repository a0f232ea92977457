import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { AdminSubject } from '../../engine/index.js';
import type { Principal } from './principal.js';

export const PUBLIC_ROUTE = 'haven:public';
export const REQUIRED_PERMISSION = 'haven:permission';
export const ALLOW_RESTRICTED_SESSION = 'haven:restricted-session';

/** The route needs no session (health, login, API docs). Every other route needs a signed-in user. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The action the route needs on an admin subject. Checked by the auth guard with the caller's ability;
 * lacking it is a 403 (the route exists and says what it needs), while objects outside the caller's scope
 * are 404s decided by the service.
 */
export const RequirePermission = (action: string, subject: AdminSubject) => SetMetadata(REQUIRED_PERMISSION, { action, subject });

/**
 * The route stays reachable while the session is restricted (password change due, second factor pending or
 * enrolment required): `/auth/me`, `/auth/logout`, `/auth/password`, the second-factor routes.
 */
export const AllowRestrictedSession = () => SetMetadata(ALLOW_RESTRICTED_SESSION, true);

export interface RequestWithPrincipal {
  principal?: Principal;
  id?: string;
  ip?: string;
}

/** The signed-in user of this request (the guard guarantees one on non-public routes). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<RequestWithPrincipal>();
  if (!req.principal) throw new Error('CurrentPrincipal used on a route without a signed-in user.');
  return req.principal;
});
