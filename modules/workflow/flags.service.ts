import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { HavenError } from '../common/errors.js';
import { ActiveConfigService } from '../config/active-config.service.js';
import { RecordEventsRepository } from '../records/record-events.js';
import { recordView } from '../records/record-view.js';
import type { RecordFlag, RecordView } from '../records/record.types.js';
import { RecordsRepository } from '../records/records.repository.js';
import type { Actor } from '../users/request-actor.js';
import { auditContext, lockFor } from './record-access.js';

/** A resolved flag also says who resolved it. */
type StoredFlag = RecordFlag & { unflaggedBy?: string };

/**
 * Flags on records (`record.flags`, `record.flagged`): flag with a reason and an optional review date, resolve with
 * a reason. Both need the `flag` action; a flag is resolved by whoever raised it (the catalogue's "resolve one's own
 * flags"). Each is a record event: new version, `$flags/<id>` history, `record.flag`/`record.unflag` audit (ids only).
 */
@Injectable()
export class FlagsService {
  constructor(
    private readonly records: RecordsRepository,
    private readonly events: RecordEventsRepository,
    private readonly config: ActiveConfigService,
  ) {}

  async flag(recordType: string, id: string, input: { reason: string; date?: string }, actor: Actor): Promise<{ id: string; record: RecordView }> {
    const compiled = this.config.current();
    const p = actor.principal;
    return this.records.transaction(async (tx) => {
      const { row } = await lockFor(tx, this.records, compiled, p.ability, recordType, id, ['flag']);
      const flag: StoredFlag = { id: randomUUID(), reason: input.reason, date: input.date ?? null, by: p.username, at: new Date().toISOString() };
      const saved = await this.events.apply(
        tx,
        {
          recordId: row.id,
          expectedVersion: row.version,
          action: 'flag',
          flags: [...row.flags, flag],
          changes: [{ path: `$flags/${flag.id}`, from: null, to: { reason: flag.reason, date: flag.date, by: flag.by } }],
          auditDetails: { module: row.module, recordType: row.recordType, flagId: flag.id },
        },
        auditContext(actor),
      );
      return { id: flag.id, record: recordView(saved, p.ability) };
    });
  }

  async unflag(recordType: string, id: string, flagId: string, input: { reason: string }, actor: Actor): Promise<RecordView> {
    const compiled = this.config.current();
    const p = actor.principal;
    return this.records.transaction(async (tx) => {
      const { row } = await lockFor(tx, this.records, compiled, p.ability, recordType, id, ['flag']);
      const flag = (row.flags as StoredFlag[]).find((f) => f.id === flagId);
      if (flag === undefined) throw HavenError.notFound('No such flag.');
      if (flag.unflaggedAt !== undefined) throw new HavenError('conflict', 'This flag is already resolved.');
      if (flag.by !== p.username) throw new HavenError('forbidden', 'Only the user who raised a flag may resolve it.');
      const resolved: StoredFlag = { ...flag, unflaggedAt: new Date().toISOString(), unflagReason: input.reason, unflaggedBy: p.username };
      const saved = await this.events.apply(
        tx,
        {
          recordId: row.id,
          expectedVersion: row.version,
          action: 'unflag',
          flags: row.flags.map((f) => (f.id === flagId ? resolved : f)),
          changes: [{ path: `$flags/${flagId}`, from: { reason: flag.reason }, to: { reason: flag.reason, unflagReason: input.reason, unflaggedBy: p.username } }],
          auditDetails: { module: row.module, recordType: row.recordType, flagId },
        },
        auditContext(actor),
      );
      return recordView(saved, p.ability);
    });
  }
}
