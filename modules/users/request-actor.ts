import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuditEntry } from '../audit/audit.service.js';
import type { RequestWithPrincipal } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';

/** Who is asking, from where: what admin services need to decide scope and to write audit rows. */
export interface Actor {
  readonly principal: Principal;
  readonly clientIp: string | null;
  readonly requestId: string | null;
}

/** The signed-in user of the request with its address and request id (the guard guarantees the user). */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<RequestWithPrincipal>();
  if (!req.principal) throw new Error('CurrentActor used on a route without a signed-in user.');
  return { principal: req.principal, clientIp: req.ip ?? null, requestId: req.id ?? null };
});

/** The "who, from where" part of an audit row. */
export function auditActor(actor: Actor): Pick<AuditEntry, 'actorId' | 'actor' | 'clientIp' | 'requestId'> {
  return { actorId: actor.principal.userId, actor: actor.principal.username, clientIp: actor.clientIp, requestId: actor.requestId };
}
