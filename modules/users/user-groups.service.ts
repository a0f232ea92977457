import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { HavenError } from '../common/errors.js';
import type { Page } from '../common/pagination.js';
import { duplicateCode } from './admin-errors.js';
import { type AdminScope, adminScope } from './admin-scope.js';
import { AgenciesRepository } from './agencies.repository.js';
import { presentFields } from './dto-helpers.js';
import { auditActor, type Actor } from './request-actor.js';
import { isUniqueViolation } from './sql.js';
import type { CreateUserGroupBody, UpdateUserGroupBody, UserGroupListQuery } from './user-group.dto.js';
import { UserGroupsRepository, userGroupView } from './user-groups.repository.js';

export type UserGroupView = ReturnType<typeof userGroupView>;

/** User groups: create, list, read, change, with one audit row per change in the same transaction. */
@Injectable()
export class UserGroupsService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(query: UserGroupListQuery, actor: Actor): Promise<Page<UserGroupView>> {
    const { items, total } = await new UserGroupsRepository(this.ds.manager).list(
      { q: query.q, agency: query.agency, disabled: query.disabled },
      adminScope(actor.principal, 'read', 'user_group'),
      { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
    );
    return { items: items.map(userGroupView), total, page: query.page, pageSize: query.pageSize };
  }

  async get(code: string, actor: Actor): Promise<UserGroupView> {
    const group = await new UserGroupsRepository(this.ds.manager).findByCode(code, adminScope(actor.principal, 'read', 'user_group'));
    if (!group) throw HavenError.notFound(`No user group "${code}".`);
    return userGroupView(group);
  }

  async create(body: CreateUserGroupBody, actor: Actor): Promise<UserGroupView> {
    const scope = adminScope(actor.principal, 'create', 'user_group');
    try {
      return await this.ds.transaction(async (tx) => {
        const repo = new UserGroupsRepository(tx);
        // An agency-scoped administrator's groups belong to their agency unless they name it.
        const agencyId = body.agency == null ? (scope.kind === 'agency' ? scope.agencyId : null) : await this.agencyId(tx, body.agency, scope);
        if (scope.kind === 'agency' && agencyId === null) {
          throw HavenError.validation([{ code: 'required', path: '/agency', message: 'Name the agency of the group.' }]);
        }
        if (await repo.findByCode(body.code, { kind: 'all' })) throw duplicateCode('user group', body.code);
        const id = await repo.insert({ code: body.code, name: body.name, agencyId, disabled: body.disabled ?? false });
        await this.audit.record(
          { ...auditActor(actor), action: 'user_group.create', objectType: 'user_group', objectId: body.code, details: { fields: presentFields(body) } },
          tx,
        );
        return userGroupView(await repo.findById(id));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateCode('user group', body.code);
      throw err;
    }
  }

  async update(code: string, body: UpdateUserGroupBody, actor: Actor): Promise<UserGroupView> {
    const scope = adminScope(actor.principal, 'update', 'user_group');
    return this.ds.transaction(async (tx) => {
      const repo = new UserGroupsRepository(tx);
      const current = await repo.findByCode(code, scope, { forUpdate: true });
      if (!current) throw HavenError.notFound(`No user group "${code}".`);
      const changes: { name?: string; agencyId?: string | null; disabled?: boolean } = {};
      if (body.name !== undefined && body.name !== current.name) changes.name = body.name;
      if (body.agency !== undefined) {
        if (body.agency === null && scope.kind === 'agency') {
          throw HavenError.validation([{ code: 'required', path: '/agency', message: 'A group of your agency stays in an agency.' }]);
        }
        const agencyId = body.agency === null ? null : await this.agencyId(tx, body.agency, scope);
        if (agencyId !== current.agencyId) changes.agencyId = agencyId;
      }
      if (body.disabled !== undefined && body.disabled !== current.disabled) changes.disabled = body.disabled;
      if (changes.disabled !== undefined && !actor.principal.ability.can('disable', 'user_group')) {
        throw new HavenError('forbidden', 'You may not disable or enable user groups.', [
          { code: 'not_permitted', path: '/disabled', message: 'Disabling or enabling a group needs the "disable" permission on user groups.' },
        ]);
      }
      const fields = Object.keys(changes)
        .map((f) => (f === 'agencyId' ? 'agency' : f))
        .sort();
      if (fields.length === 0) return userGroupView(current);
      await repo.update(current.id, changes);
      await this.audit.record({ ...auditActor(actor), action: 'user_group.update', objectType: 'user_group', objectId: current.code, details: { fields } }, tx);
      return userGroupView(await repo.findById(current.id));
    });
  }

  private async agencyId(tx: EntityManager, code: string, scope: AdminScope): Promise<string> {
    const agency = await new AgenciesRepository(tx).findByCode(code, scope);
    if (!agency) throw HavenError.validation([{ code: 'unknown_agency', path: '/agency', message: `There is no agency "${code}".`, params: { value: code } }]);
    return agency.id;
  }
}
