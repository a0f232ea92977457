import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { SessionService } from '../auth/session.service.js';
import { HavenError, type Issue } from '../common/errors.js';
import type { Page } from '../common/pagination.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { systemSettings } from '../config/system-settings.js';
import { duplicateUsername } from './admin-errors.js';
import { adminScope } from './admin-scope.js';
import { checkPassword } from './password-policy.js';
import { rolesBeyondOwnGrants } from './role-grants.js';
import { hashPassword } from './passwords.js';
import { presentFields } from './dto-helpers.js';
import { auditActor, type Actor } from './request-actor.js';
import { isUniqueViolation } from './sql.js';
import type { CreateUserBody, ResetPasswordBody, UpdateUserBody, UserListQuery } from './user.dto.js';
import { type ReferenceInput, resolveReferences } from './user-references.js';
import { type UserChanges, type UserRecord, UsersRepository, userView } from './users.repository.js';

export type UserView = ReturnType<typeof userView>;

/** What nobody may change on themselves: it would let an administrator widen their own access. */
const NOT_ON_SELF = ['agency', 'groups', 'roles', 'disabled'] as const;

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Users: create, list, read, change, reset passwords, disable and enable. Each change writes its audit row
 * (field names only, never values) in its own transaction, and changes to what a user may reach (roles, groups,
 * agency, disabling, a reset password) end the user's sessions in that same transaction.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly sessions: SessionService,
    private readonly config: ActiveConfigService,
  ) {}

  async list(query: UserListQuery, actor: Actor): Promise<Page<UserView>> {
    const { page, pageSize, ...filter } = query;
    const { items, total } = await new UsersRepository(this.ds.manager).list(filter, adminScope(actor.principal, 'read', 'user'), {
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    return { items: items.map(userView), total, page, pageSize };
  }

  async get(username: string, actor: Actor): Promise<UserView> {
    return userView(await this.find(this.ds.manager, username, actor, 'read'));
  }

  async create(body: CreateUserBody, actor: Actor): Promise<UserView> {
    const compiled = this.config.current();
    const settings = systemSettings(compiled);
    const passwordIssues = checkPassword(body.password, body.username, settings.passwordPolicy);
    const refs = await this.references(this.ds.manager, body, actor, 'create');
    const issues = [...refs.issues, ...passwordIssues];
    if (issues.length) throw HavenError.validation(sortIssues(issues));
    this.checkRoleGrants(body.roles, [], actor, 'create');
    const passwordHash = await hashPassword(body.password);
    try {
      return await this.ds.transaction(async (tx) => {
        const repo = new UsersRepository(tx);
        if (await repo.usernameTaken(body.username)) throw duplicateUsername(body.username);
        // Resolved again inside the transaction: an agency or group may have been disabled meanwhile.
        const checked = await this.references(tx, body, actor, 'create');
        if (checked.issues.length) throw HavenError.validation(sortIssues(checked.issues));
        const id = await repo.insert({
          username: body.username,
          passwordHash,
          fullName: body.fullName,
          code: body.code ?? null,
          email: body.email ?? null,
          locale: body.locale ?? settings.defaultLocale,
          agencyId: checked.agencyId!,
          roles: body.roles,
        });
        await repo.setGroups(id, checked.groupIds ?? []);
        const fields = presentFields(body, ['password']);
        await this.audit.record({ ...auditActor(actor), action: 'user.create', objectType: 'user', objectId: body.username, details: { fields } }, tx);
        return userView(await repo.findById(id));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateUsername(body.username);
      throw err;
    }
  }

  async update(username: string, body: UpdateUserBody, actor: Actor): Promise<UserView> {
    return this.ds.transaction(async (tx) => {
      const current = await this.find(tx, username, actor, 'update', true);
      this.checkTargetReach(current, actor, 'update');
      const self = current.id === actor.principal.userId;
      const forbidden: Issue[] = [];
      for (const field of NOT_ON_SELF) {
        if (self && body[field] !== undefined) {
          forbidden.push({ code: 'not_on_self', path: `/${field}`, message: `You cannot change your own ${field}; another administrator can.` });
        }
      }
      if (body.disabled !== undefined && !actor.principal.ability.can('disable', 'user')) {
        forbidden.push({ code: 'not_permitted', path: '/disabled', message: 'Disabling or enabling users needs the "disable" permission on users.' });
      }
      if (forbidden.length) throw new HavenError('forbidden', 'The change includes fields you may not change.', forbidden);

      const refs = await this.references(tx, body, actor, 'update', current);
      if (refs.issues.length) throw HavenError.validation(sortIssues(refs.issues));
      if (body.roles !== undefined) this.checkRoleGrants(body.roles, current.roles, actor, 'update');

      const changes: UserChanges = {};
      if (body.fullName !== undefined && body.fullName !== current.fullName) changes.fullName = body.fullName;
      if (body.code !== undefined && body.code !== current.code) changes.code = body.code;
      if (body.email !== undefined && body.email !== current.email) changes.email = body.email;
      if (body.locale !== undefined && body.locale !== current.locale) changes.locale = body.locale;
      if (refs.agencyId !== undefined && refs.agencyId !== current.agencyId) changes.agencyId = refs.agencyId;
      if (body.roles !== undefined && !sameSet(body.roles, current.roles)) changes.roles = body.roles;
      if (body.disabled !== undefined && body.disabled !== current.disabled) changes.disabled = body.disabled;
      const groupsChanged = refs.groupIds !== undefined && !sameSet(refs.groupIds, current.groupIds);

      const fields = [...Object.keys(changes).map((f) => (f === 'agencyId' ? 'agency' : f)), ...(groupsChanged ? ['groups'] : [])].sort();
      if (fields.length === 0) return userView(current);
      const repo = new UsersRepository(tx);
      await repo.update(current.id, changes);
      if (groupsChanged) await repo.setGroups(current.id, refs.groupIds!);
      if (changes.disabled === true) await this.sessions.revokeUser(current.id, 'user_disabled', tx);
      else if (changes.agencyId !== undefined || changes.roles !== undefined || groupsChanged) await this.sessions.revokeUser(current.id, 'access_changed', tx);
      await this.audit.record({ ...auditActor(actor), action: 'user.update', objectType: 'user', objectId: current.username, details: { fields } }, tx);
      return userView(await repo.findById(current.id));
    });
  }

  async resetPassword(username: string, body: ResetPasswordBody, actor: Actor): Promise<UserView> {
    const target = await this.find(this.ds.manager, username, actor, 'reset_password');
    this.checkTargetReach(target, actor, 'reset_password');
    if (target.id === actor.principal.userId) {
      // The self-service change asks for the current password; this route would let a stolen token skip it.
      throw new HavenError('forbidden', 'Change your own password with POST /api/v1/auth/password.', [
        { code: 'not_on_self', path: '', message: 'Administrators change their own password like everyone else.' },
      ]);
    }
    const issues = checkPassword(body.password, target.username, systemSettings(this.config.current()).passwordPolicy);
    if (issues.length) throw HavenError.validation(issues, 'The password does not meet the password policy.');
    const passwordHash = await hashPassword(body.password);
    return this.ds.transaction(async (tx) => {
      const user = await this.find(tx, username, actor, 'reset_password', true);
      this.checkTargetReach(user, actor, 'reset_password');
      const repo = new UsersRepository(tx);
      await repo.resetPassword(user.id, passwordHash);
      await this.sessions.revokeUser(user.id, 'password_reset', tx);
      await this.audit.record({ ...auditActor(actor), action: 'user.reset_password', objectType: 'user', objectId: user.username, details: { fields: ['password'] } }, tx);
      return userView(await repo.findById(user.id));
    });
  }

  async setDisabled(username: string, disabled: boolean, actor: Actor): Promise<UserView> {
    return this.ds.transaction(async (tx) => {
      const user = await this.find(tx, username, actor, 'disable', true);
      this.checkTargetReach(user, actor, 'disable');
      if (user.id === actor.principal.userId) {
        throw new HavenError('forbidden', `You cannot ${disabled ? 'disable' : 'enable'} yourself.`, [
          { code: 'not_on_self', path: '', message: 'Another administrator can.' },
        ]);
      }
      // Ended whether or not the flag moves: a disabled user has no session, whatever came before.
      if (disabled) await this.sessions.revokeUser(user.id, 'user_disabled', tx);
      if (user.disabled === disabled) return userView(user);
      const repo = new UsersRepository(tx);
      await repo.update(user.id, { disabled });
      await this.audit.record({ ...auditActor(actor), action: disabled ? 'user.disable' : 'user.enable', objectType: 'user', objectId: user.username }, tx);
      return userView(await repo.findById(user.id));
    });
  }

  /** The user if it exists within the caller's scope for the action; a 404 otherwise (the two look alike). */
  private async find(db: EntityManager, username: string, actor: Actor, action: string, forUpdate = false): Promise<UserRecord> {
    const user = await new UsersRepository(db).findByUsername(username, adminScope(actor.principal, action, 'user'), { forUpdate });
    if (!user) throw HavenError.notFound(`No user "${username}".`);
    return user;
  }

  /**
   * Refuses (403) a change to a user whose roles reach further than an agency-scoped administrator's own (a system
   * administrator of the same agency, say): resetting their password, disabling them or editing them would be a way
   * into powers the administrator may not hand out.
   */
  private checkTargetReach(target: UserRecord, actor: Actor, action: string): void {
    if (adminScope(actor.principal, action, 'user').kind === 'all') return;
    if (rolesBeyondOwnGrants(this.config.current(), actor.principal.ability, target.roles, []).length === 0) return;
    throw new HavenError('forbidden', `You may not ${action.replace(/_/g, ' ')} a user whose roles reach further than your own.`, [
      { code: 'role_beyond_own_grants', path: '', message: 'The user holds a role that reaches further than yours; another administrator whose roles reach as far can.' },
    ]);
  }

  /** Refuses (403) roles an agency-scoped user administrator may not hand out (see rolesBeyondOwnGrants). */
  private checkRoleGrants(roles: readonly string[], alreadyHeld: readonly string[], actor: Actor, action: string): void {
    if (adminScope(actor.principal, action, 'user').kind === 'all') return;
    const issues = rolesBeyondOwnGrants(this.config.current(), actor.principal.ability, roles, alreadyHeld);
    if (issues.length) throw new HavenError('forbidden', 'You may not give roles that reach further than your own.', issues);
  }

  /** An agency-scoped user administrator places users in their own agency and its groups only. */
  private references(db: EntityManager, input: ReferenceInput, actor: Actor, action: string, current?: UserRecord) {
    const scope = adminScope(actor.principal, action, 'user');
    return resolveReferences(db, input, { compiled: this.config.current(), agencyScope: scope, groupScope: scope, current });
  }
}

/** Issues in body order (the order of the fields in the form), then by pointer. */
function sortIssues(issues: Issue[]): Issue[] {
  const order = ['/username', '/password', '/fullName', '/code', '/email', '/locale', '/agency', '/groups', '/roles'];
  const rank = (path: string) => {
    const i = order.findIndex((p) => path === p || path.startsWith(`${p}/`));
    return i < 0 ? order.length : i;
  };
  return [...issues].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path, 'en', { numeric: true }));
}
