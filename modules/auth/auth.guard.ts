import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AdminSubject } from '../../engine/index.js';
import { AuditService } from '../audit/audit.service.js';
import { HavenError } from '../common/errors.js';
import { ALLOW_RESTRICTED_SESSION, PUBLIC_ROUTE, REQUIRED_PERMISSION, type RequestWithPrincipal } from './decorators.js';
import { PrincipalLoader } from './principal.loader.js';
import { SessionService } from './session.service.js';
import { looksLikeToken } from './tokens.js';
import { UserFactsCache } from './user-facts.cache.js';

export const SECOND_FACTOR_ROUTE = 'haven:second-factor-route';

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/** What a route declares to the guard (read once per route: the decorators never change at run time). */
interface RouteRules {
  readonly isPublic: boolean;
  readonly restrictedOk: boolean;
  readonly secondFactorRoute: boolean;
  readonly needed: { action: string; subject: AdminSubject } | undefined;
}

/**
 * The one gate in front of every route: a live session (unless the route is public), the restrictions of a
 * session that still owes a password change or a second factor, and the admin permission the route declares.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
    private readonly loader: PrincipalLoader,
    private readonly audit: AuditService,
    private readonly facts: UserFactsCache,
  ) {}

  /** Route rules per handler (each handler belongs to one controller class). */
  private readonly rules = new WeakMap<object, RouteRules>();

  private rulesFor(ctx: ExecutionContext): RouteRules {
    const handler = ctx.getHandler();
    let rules = this.rules.get(handler);
    if (rules === undefined) {
      const targets = [handler, ctx.getClass()];
      rules = {
        isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true,
        restrictedOk: this.reflector.getAllAndOverride<boolean>(ALLOW_RESTRICTED_SESSION, targets) === true,
        secondFactorRoute: this.reflector.getAllAndOverride<boolean>(SECOND_FACTOR_ROUTE, targets) === true,
        needed: this.reflector.getAllAndOverride<{ action: string; subject: AdminSubject } | undefined>(REQUIRED_PERMISSION, targets),
      };
      this.rules.set(handler, rules);
    }
    return rules;
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const { isPublic, restrictedOk, secondFactorRoute, needed } = this.rulesFor(ctx);
    if (isPublic) return true;
    const req = ctx.switchToHttp().getRequest<Request & RequestWithPrincipal>();
    const token = bearer(req);
    // Built only when needed (an error's stack trace costs more than the rest of a signed-in request's check).
    const unauthenticated = () => new HavenError('unauthenticated', 'Sign in first: this route needs a valid access token.');
    if (!token || !looksLikeToken(token)) throw unauthenticated();
    const session = await this.sessions.resolve(token);
    if (!session) throw unauthenticated();
    const user = await this.facts.user(session.userId);
    if (!user || user.disabled) {
      await this.sessions.revoke(session.id, 'user_disabled');
      throw unauthenticated();
    }
    const principal = this.loader.principal(user, session.id);
    req.principal = principal;

    if (session.secondFactorPending && !secondFactorRoute) {
      throw new HavenError('unauthenticated', 'Enter the code from your authenticator app first.', [
        { code: 'second_factor_required', path: '', message: 'POST /api/v1/auth/second-factor with the code.' },
      ]);
    }
    if (!restrictedOk && !secondFactorRoute) {
      if (user.mustChangePassword) {
        throw new HavenError('forbidden', 'Change your password first.', [
          { code: 'password_change_required', path: '', message: 'POST /api/v1/auth/password with the current and a new password.' },
        ]);
      }
      if (principal.ability.secondFactorRequired && !user.totpEnabled) {
        throw new HavenError('forbidden', 'Your role requires a second factor: enrol an authenticator app first.', [
          { code: 'second_factor_enrolment_required', path: '', message: 'POST /api/v1/auth/totp/enrol, then /api/v1/auth/totp/verify.' },
        ]);
      }
    }

    if (needed && !principal.ability.can(needed.action, needed.subject)) {
      await this.audit.record({
        actorId: principal.userId,
        actor: principal.username,
        action: 'permission.denied',
        objectType: needed.subject,
        outcome: 'denied',
        clientIp: req.ip ?? null,
        requestId: req.id ?? null,
        details: { needed: `${needed.action}:${needed.subject}`, route: `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? ''}` },
      });
      throw new HavenError('forbidden', `This needs the "${needed.action}" permission on ${needed.subject}.`);
    }
    return true;
  }
}
