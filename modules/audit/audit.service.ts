import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Writes the append-only audit log. Rows hold ids, codes and field NAMES, never field values. Pass the
 * transaction's EntityManager so the audit row commits (or rolls back) with the change it describes.
 */
export interface AuditEntry {
  actorId?: string | null;
  actor?: string | null;
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  outcome?: 'allowed' | 'denied' | 'failed';
  clientIp?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(private readonly ds: DataSource) {}

  async record(entry: AuditEntry, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.query(
      `INSERT INTO audit_log (actor_id, actor, action, object_type, object_id, outcome, client_ip, request_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        entry.actorId ?? null,
        entry.actor ?? null,
        entry.action,
        entry.objectType ?? null,
        entry.objectId ?? null,
        entry.outcome ?? 'allowed',
        entry.clientIp ?? null,
        entry.requestId ?? null,
        entry.details ?? {},
      ],
    );
  }
}
