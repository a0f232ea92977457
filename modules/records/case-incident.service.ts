import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { CompiledConfig, ModuleDefinition, RecordFacts } from '../../engine/index.js';
import { HavenError, type Issue, pointerSegment } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { auditActor, type Actor } from '../users/request-actor.js';
import { factsOf, RECORD_COLUMNS, toRecordRow, type RecordRow, type RecordView } from './record.types.js';
import { RecordsService } from './records.service.js';
import { UUID } from '../common/uuid.js';

/** The field map of a module that says which case fields an incident made from the case starts with. */
const FIELD_MAP = 'case_to_incident';
const LINK_KIND = 'incident_from_case';

export interface IncidentFromCaseInput {
  module: string;
  /** Further incident fields, applied over the copied ones. */
  data: Record<string, unknown>;
}

export interface LinkedFrom {
  id: string;
  displayId: string;
  module: string;
  recordType: string;
  kind: typeof LINK_KIND;
}

export type IncidentFromCaseView = RecordView & { linkedFrom: LinkedFrom; copiedFields: string[] };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ "module": "gbv", "data"?: { … } }`; every problem listed at once. */
export function parseIncidentFromCaseBody(raw: unknown): IncidentFromCaseInput {
  if (!isObject(raw)) throw HavenError.validation([{ code: 'invalid_type', path: '', message: 'The body is a JSON object.' }]);
  const issues: Issue[] = [];
  for (const key of Object.keys(raw)) {
    if (key !== 'module' && key !== 'data') issues.push({ code: 'unknown_field', path: `/${pointerSegment(key)}`, message: `property ${key} should not exist` });
  }
  const { module, data } = raw;
  if (module === undefined || module === null || module === '') issues.push({ code: 'required', path: '/module', message: 'Say which module the case and the incident belong to.' });
  else if (typeof module !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(module)) issues.push({ code: 'invalid_type', path: '/module', message: 'module is the key of a module.' });
  if (data !== undefined && data !== null && !isObject(data)) issues.push({ code: 'invalid_type', path: '/data', message: 'data is an object of incident field values.' });
  if (issues.length > 0) throw HavenError.validation(issues);
  return { module: module as string, data: isObject(data) ? data : {} };
}

function moduleDefinition(compiled: CompiledConfig, key: string): ModuleDefinition | undefined {
  for (const bundle of compiled.source) for (const { def } of bundle.modules) if (def.key === key) return def;
  return undefined;
}

/**
 * Incident from case (README "Links"): a new incident owned by the caller, starting with the case fields the
 * module's `fieldMap.case_to_incident` maps — only those the caller may read on the case and write on the incident,
 * and only values the incident's field accepts — then linked to the case (`record_link`, kind
 * `incident_from_case`). Needs `incident_from_case` on the case and `create` on incidents. The incident is
 * created by the one write path (RecordsService.create): same validation, history and audit as any create.
 */
@Injectable()
export class CaseIncidentService {
  constructor(
    private readonly ds: DataSource,
    private readonly config: ActiveConfigService,
    private readonly records: RecordsService,
  ) {}

  async create(caseId: string, input: IncidentFromCaseInput, actor: Actor): Promise<IncidentFromCaseView> {
    const compiled = this.config.current();
    const p = actor.principal;
    const { ability } = p;
    const module = moduleDefinition(compiled, input.module);
    const caseType = compiled.findRecordType(input.module, 'case');
    const incidentType = compiled.findRecordType(input.module, 'incident');
    if (module === undefined || caseType === undefined || incidentType === undefined || !module.recordTypes.includes('incident')) {
      throw HavenError.validation([{ code: 'not_an_option', path: '/module', message: `Module "${input.module}" has no cases and incidents.` }]);
    }
    const row = await this.caseRow(caseId, input.module);
    const facts = row === undefined ? undefined : factsOf(row);
    if (row === undefined || facts === undefined || !ability.canRecord('read', row.module, row.recordType, facts)) throw HavenError.notFound('No such record.');
    if (row.disabled && !ability.canRecord('disable', row.module, row.recordType, facts)) throw HavenError.notFound('No such record.');
    if (!ability.canRecord(LINK_KIND, row.module, row.recordType, facts)) throw new HavenError('forbidden', 'You may not create incidents from this case.');
    if (row.disabled) throw new HavenError('conflict', 'This case is disabled: enable it before creating an incident from it.');
    const incidentFacts: RecordFacts = { module: input.module, recordType: 'incident', ownerId: p.userId, ownerAgency: p.agencyCode, ownerGroups: p.groupCodes, sharedWith: [] };
    if (!ability.canRecord('create', input.module, 'incident', incidentFacts)) throw new HavenError('forbidden', 'You may not create incidents.');

    const readable = ability.readableFields(row.module, row.recordType, facts);
    const writable = ability.writableFields(input.module, 'incident', incidentFacts);
    const copied: Record<string, unknown> = {};
    for (const { source, target } of module.fieldMap?.[FIELD_MAP] ?? []) {
      const value = row.data[source];
      if (value === undefined || value === null || !readable.has(source) || !writable.has(target) || incidentType.field(target) === undefined) continue;
      if (incidentType.field(target)?.readOnly) continue;
      copied[target] = value;
    }
    // A value the incident's field does not accept (another lookup, a stricter rule) is left out, not an error.
    const now = new Date().toISOString();
    const trial = incidentType.process(copied, { user: { id: p.userId, agency: p.agencyCode, roles: p.roles, groups: p.groupCodes }, today: now.slice(0, 10), now, locale: p.locale });
    for (const issue of trial.issues) {
      const key = issue.path.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
      if (key !== undefined) delete copied[key];
    }

    // The incident, its link and the link's audit row commit together or not at all.
    const view = await this.ds.transaction(async (tx) => {
      const incident = await this.records.create('incident', { module: input.module, data: { ...copied, ...input.data } }, actor, tx);
      await this.link(tx, row, incident, input.module, Object.keys(copied), actor);
      return incident;
    });
    return {
      ...view,
      linkedFrom: { id: row.id, displayId: row.displayId, module: row.module, recordType: row.recordType, kind: LINK_KIND },
      copiedFields: Object.keys(copied).filter((key) => !(key in input.data)).sort(),
    };
  }

  /** The `record_link` row (case → incident) and its audit row, in one statement inside the create's transaction. */
  private async link(tx: EntityManager, row: RecordRow, view: RecordView, module: string, copied: readonly string[], actor: Actor): Promise<void> {
    await tx.query(
      `WITH l AS (
         INSERT INTO record_link (record_id, linked_record_id, kind, created_by) VALUES ($1, $2, $3, $4)
       )
       INSERT INTO audit_log (actor_id, actor, action, object_type, object_id, client_ip, request_id, details)
       VALUES ($4, $5, 'record.incident_from_case', 'record', $1::text, $6, $7, $8::jsonb)`,
      [
        row.id,
        view.id,
        LINK_KIND,
        auditActor(actor).actorId,
        auditActor(actor).actor,
        actor.clientIp,
        actor.requestId,
        JSON.stringify({ module, caseId: row.id, incidentId: view.id, fields: [...copied].sort() }),
      ],
    );
  }

  private async caseRow(id: string, module: string): Promise<RecordRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const rows: Record<string, unknown>[] = await this.ds.query(
      `SELECT ${RECORD_COLUMNS} FROM record r JOIN app_user o ON o.id = r.owner_id WHERE r.id = $1 AND r.module = $2 AND r.record_type = 'case'`,
      [id, module],
    );
    return rows[0] === undefined ? undefined : toRecordRow(rows[0]);
  }
}
