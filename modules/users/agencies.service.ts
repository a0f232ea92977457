import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { HavenError } from '../common/errors.js';
import type { Page } from '../common/pagination.js';
import { adminScope } from './admin-scope.js';
import { duplicateCode } from './admin-errors.js';
import { AgenciesRepository, agencyView } from './agencies.repository.js';
import type { AgencyListQuery, CreateAgencyBody, UpdateAgencyBody } from './agency.dto.js';
import { type Logo, parseLogo } from './logo.js';
import { presentFields } from './dto-helpers.js';
import { auditActor, type Actor } from './request-actor.js';
import { isUniqueViolation } from './sql.js';

export type AgencyView = ReturnType<typeof agencyView>;

function readLogo(value: string): Logo {
  const { logo, issues } = parseLogo(value);
  if (!logo) throw HavenError.validation(issues);
  return logo;
}

/** Agencies: create, list, read, change, with one audit row per change in the same transaction. */
@Injectable()
export class AgenciesService {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(query: AgencyListQuery, actor: Actor): Promise<Page<AgencyView>> {
    const scope = adminScope(actor.principal, 'read', 'agency');
    const { items, total } = await new AgenciesRepository(this.ds.manager).list(
      { q: query.q, disabled: query.disabled },
      scope,
      { limit: query.pageSize, offset: (query.page - 1) * query.pageSize },
    );
    return { items: items.map(agencyView), total, page: query.page, pageSize: query.pageSize };
  }

  async get(code: string, actor: Actor): Promise<AgencyView> {
    const agency = await new AgenciesRepository(this.ds.manager).findByCode(code, adminScope(actor.principal, 'read', 'agency'));
    if (!agency) throw HavenError.notFound(`No agency "${code}".`);
    return agencyView(agency);
  }

  async logo(code: string, actor: Actor): Promise<Logo> {
    const repo = new AgenciesRepository(this.ds.manager);
    const agency = await repo.findByCode(code, adminScope(actor.principal, 'read', 'agency'));
    const logo = agency && (await repo.logo(agency.id));
    if (!logo) throw HavenError.notFound(`No logo for agency "${code}".`);
    return logo;
  }

  async create(body: CreateAgencyBody, actor: Actor): Promise<AgencyView> {
    if (adminScope(actor.principal, 'create', 'agency').kind !== 'all') {
      throw new HavenError('forbidden', 'Only administrators of every agency may create agencies.');
    }
    const logo = body.logo === undefined ? undefined : readLogo(body.logo);
    try {
      return await this.ds.transaction(async (tx) => {
        const repo = new AgenciesRepository(tx);
        if (await repo.findByCode(body.code, { kind: 'all' })) throw duplicateCode('agency', body.code);
        const agency = await repo.insert({ code: body.code, name: body.name, disabled: body.disabled ?? false, logo });
        await this.audit.record(
          { ...auditActor(actor), action: 'agency.create', objectType: 'agency', objectId: agency.code, details: { fields: presentFields(body) } },
          tx,
        );
        return agencyView(agency);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateCode('agency', body.code);
      throw err;
    }
  }

  async update(code: string, body: UpdateAgencyBody, actor: Actor): Promise<AgencyView> {
    const scope = adminScope(actor.principal, 'update', 'agency');
    const logo = typeof body.logo === 'string' ? readLogo(body.logo) : body.logo;
    return this.ds.transaction(async (tx) => {
      const repo = new AgenciesRepository(tx);
      const current = await repo.findByCode(code, scope, { forUpdate: true });
      if (!current) throw HavenError.notFound(`No agency "${code}".`);
      const changes: { name?: string; disabled?: boolean; logo?: Logo | null } = {};
      if (body.name !== undefined && body.name !== current.name) changes.name = body.name;
      if (body.disabled !== undefined && body.disabled !== current.disabled) changes.disabled = body.disabled;
      if (logo !== undefined && (logo !== null || current.hasLogo)) changes.logo = logo;
      if (changes.disabled !== undefined && !actor.principal.ability.can('disable', 'agency')) {
        throw new HavenError('forbidden', 'You may not disable or enable agencies.', [
          { code: 'not_permitted', path: '/disabled', message: 'Disabling or enabling an agency needs the "disable" permission on agencies.' },
        ]);
      }
      const fields = Object.keys(changes).sort();
      if (fields.length === 0) return agencyView(current);
      const updated = await repo.update(current.id, changes);
      await this.audit.record({ ...auditActor(actor), action: 'agency.update', objectType: 'agency', objectId: current.code, details: { fields } }, tx);
      return agencyView(updated);
    });
  }
}
