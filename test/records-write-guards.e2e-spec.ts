import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newGroup, newUser } from './support/factories.js';
import { newRecord, type TestRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Guards of the record write path: an incident made from a case commits with its link or not at all; attachment
 * metadata changes only through the attachments routes; writes the ability refuses leave a `denied` audit row.
 */

const RECORDS = '/api/v1/records';
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), Buffer.alloc(2000, 0x41), Buffer.from('\n%%EOF\n')]);
type Who = 'worker' | 'colleague' | 'supervisor';

describe('records: write guards', () => {
  let t: TestApp;
  let ds: DataSource;
  const api = {} as Record<Who, ReturnType<typeof as>>;
  const tokens = {} as Record<Who, string>;
  const ids = {} as Record<Who, string>;
  const newCase = (data: Record<string, unknown> = { survivor_code_no: 'WG-1', sex: 'female' }): Promise<TestRecord> =>
    newRecord(ds, { module: 'gbv', recordType: 'case', owner: ids.worker, data });
  const versionOf = async (id: string): Promise<number> => (await ds.query(`SELECT version FROM record WHERE id = $1`, [id]))[0].version as number;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'WGA' });
    await newGroup(ds, { code: 'wga-gbv', agency: 'WGA' });
    const roles: Record<Who, string> = { worker: 'gbv_caseworker', colleague: 'gbv_caseworker', supervisor: 'gbv_supervisor' };
    for (const who of Object.keys(roles) as Who[]) {
      const user = await newUser(ds, { agency: 'WGA', groups: who === 'colleague' ? [] : ['wga-gbv'], roles: [roles[who]] });
      ids[who] = user.id;
      tokens[who] = await login(t, user.username, user.password);
      api[who] = as(t, tokens[who]);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('incident from case is one transaction', () => {
    it('stores neither the incident nor its history and audit rows when the link cannot be written', async () => {
      const gbvCase = await newCase();
      const counts = async () =>
        (
          await ds.query(
            `SELECT (SELECT count(*)::int FROM record WHERE record_type = 'incident') AS incidents, (SELECT count(*)::int FROM record_link) AS links,
                    (SELECT count(*)::int FROM record_history) AS history, (SELECT count(*)::int FROM audit_log WHERE action IN ('record.create', 'record.incident_from_case')) AS audits`,
          )
        )[0];
      const before = await counts();
      // The link insert fails (as a constraint, a lost connection or a full disk would make it fail).
      await ds.query(`CREATE FUNCTION wg_refuse_link() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'link refused by the test'; END $$`);
      await ds.query(`CREATE TRIGGER wg_refuse_link BEFORE INSERT ON record_link FOR EACH ROW EXECUTE FUNCTION wg_refuse_link()`);
      try {
        const res = await api.worker.post(`${RECORDS}/case/${gbvCase.id}/incidents`, { module: 'gbv' });
        expect(res.status).toBe(500);
        expect(await counts()).toEqual(before);
      } finally {
        await ds.query(`DROP TRIGGER wg_refuse_link ON record_link`);
        await ds.query(`DROP FUNCTION wg_refuse_link()`);
      }
      // And with the link writable again, all of it is stored.
      const ok = await api.worker.post(`${RECORDS}/case/${gbvCase.id}/incidents`, { module: 'gbv' }).expect(201);
      expect(await counts()).toEqual({ incidents: before.incidents + 1, links: before.links + 1, history: before.history + 1, audits: before.audits + 2 });
      expect(ok.body.linkedFrom.id).toBe(gbvCase.id);
    });
  });

  describe('attachment fields change only through the attachments routes', () => {
    const meta = { id: '7d0b9f9e-2f5c-4a43-9c55-1d6f1f0c2f11', fileName: 'forged.pdf', contentType: 'application/pdf', size: 10 };

    it('refuses attachment metadata in a create, one issue per path, and stores nothing', async () => {
      const before = (await ds.query(`SELECT count(*)::int AS n FROM record`))[0].n as number;
      const res = await api.worker
        .post(`${RECORDS}/case`, { module: 'gbv', data: { survivor_code_no: 'WG-2', sex: 'female', other_documents: [meta] } })
        .expect(400);
      expect(res.body.error.issues).toEqual([expect.objectContaining({ code: 'attachment_not_writable', path: '/data/other_documents' })]);
      expect((await ds.query(`SELECT count(*)::int AS n FROM record`))[0].n).toBe(before);
      // No files (null or an empty list) is no write.
      await api.worker.post(`${RECORDS}/case`, { module: 'gbv', data: { survivor_code_no: 'WG-3', sex: 'female', other_documents: [] } }).expect(201);
    });

    it('refuses edited metadata in a PATCH and writes nothing; the stored value sent back unchanged passes', async () => {
      const gbvCase = await newCase();
      const uploaded = await t
        .http()
        .post(`${RECORDS}/case/${gbvCase.id}/attachments`)
        .set('Authorization', `Bearer ${tokens.worker}`)
        .field('field', 'other_documents')
        .attach('file', PDF, { filename: 'consent.pdf', contentType: 'application/pdf' })
        .expect(201);
      const stored = (await ds.query(`SELECT data->'other_documents' AS files, version FROM record WHERE id = $1`, [gbvCase.id]))[0] as { files: Array<Record<string, unknown>>; version: number };
      expect(stored.files).toHaveLength(1);
      expect(stored.files[0]!.id).toBe(uploaded.body.id);

      const renamed = [{ ...stored.files[0], fileName: 'other.exe', contentType: 'application/x-msdownload' }];
      const res = await api.worker
        .patch(`${RECORDS}/case/${gbvCase.id}`, { version: stored.version, data: { other_documents: renamed, sex: 'male' } })
        .expect(400);
      expect(res.body.error.issues).toEqual([expect.objectContaining({ code: 'attachment_not_writable', path: '/data/other_documents' })]);
      expect(await versionOf(gbvCase.id)).toBe(stored.version);
      // Removing the files through PATCH is a write too.
      await api.worker.patch(`${RECORDS}/case/${gbvCase.id}`, { version: stored.version, data: { other_documents: null } }).expect(400);
      await api.worker.patch(`${RECORDS}/case/${gbvCase.id}`, { version: stored.version, data: { other_documents: [meta, ...stored.files] } }).expect(400);
      expect(await versionOf(gbvCase.id)).toBe(stored.version);

      // A client that sends back what it read changes nothing there: the rest of its change is saved.
      const read = (await api.worker.get(`${RECORDS}/case/${gbvCase.id}`).expect(200)).body;
      const saved = await api.worker.patch(`${RECORDS}/case/${gbvCase.id}`, { version: read.version, data: { other_documents: read.data.other_documents, sex: 'male' } }).expect(200);
      expect(saved.body.data).toMatchObject({ sex: 'male', other_documents: stored.files });
    });
  });

  describe('writes the ability refuses are audited as denied', () => {
    const denied = async (action: string, objectId: string | null) =>
      (await ds.query(
        `SELECT actor_id, action, object_type, object_id, outcome, details FROM audit_log
          WHERE outcome = 'denied' AND action = $1 AND object_id IS NOT DISTINCT FROM $2 ORDER BY id`,
        [action, objectId],
      )) as Array<Record<string, unknown>>;

    it('a create without the create action: 403 and a denied row (no record id, no values)', async () => {
      const before = (await denied('record.create', null)).length;
      await api.supervisor.post(`${RECORDS}/case`, { module: 'gbv', data: { survivor_code_no: 'SECRET-WG', sex: 'female' } }).expect(403);
      const rows = await denied('record.create', null);
      expect(rows).toHaveLength(before + 1);
      expect(rows.at(-1)).toEqual({
        actor_id: ids.supervisor,
        action: 'record.create',
        object_type: 'record',
        object_id: null,
        outcome: 'denied',
        details: { module: 'gbv', recordType: 'case', reason: 'record' },
      });
      expect(JSON.stringify(rows)).not.toContain('SECRET');
    });

    it('an update the caller may not make (403) or of a record outside their scope (404): denied rows with the record id, nothing written', async () => {
      const gbvCase = await newCase();
      await api.supervisor.patch(`${RECORDS}/case/${gbvCase.id}`, { version: 1, data: { sex: 'male' } }).expect(403);
      await api.colleague.patch(`${RECORDS}/case/${gbvCase.id}`, { version: 1, data: { sex: 'male' } }).expect(404);
      const rows = await denied('record.update', gbvCase.id);
      expect(rows.map((r) => r.actor_id)).toEqual([ids.supervisor, ids.colleague]);
      for (const row of rows) expect(row.details).toEqual({ module: 'gbv', recordType: 'case', reason: 'record' });
      expect(await versionOf(gbvCase.id)).toBe(1);
      // A record that does not exist is no denial: nothing to audit.
      await api.colleague.patch(`${RECORDS}/case/00000000-0000-4000-8000-000000000000`, { version: 1, data: { sex: 'male' } }).expect(404);
      expect(await denied('record.update', '00000000-0000-4000-8000-000000000000')).toEqual([]);
    });

    it('a disable without the disable action: 403 and a denied row; allowed writes and bad input leave none', async () => {
      const gbvCase = await newCase();
      await api.worker.post(`${RECORDS}/case/${gbvCase.id}/disable`, { reason: 'duplicate' }).expect(403);
      expect(await denied('record.disable', gbvCase.id)).toEqual([expect.objectContaining({ actor_id: ids.worker, outcome: 'denied' })]);
      expect(await versionOf(gbvCase.id)).toBe(1);

      await api.worker.patch(`${RECORDS}/case/${gbvCase.id}`, { version: 1, data: { sex: 'male' } }).expect(200);
      await api.worker.patch(`${RECORDS}/case/${gbvCase.id}`, { version: 2, data: { sex: 'not-a-sex' } }).expect(400);
      expect(await denied('record.update', gbvCase.id)).toEqual([]);
    });
  });
});
