import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { login, newAgency, newGroup, newUser } from './support/factories.js';
import { newRecord, type TestRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Attachments: upload (multipart), download, removal; type checks on content, size limit, field kinds, and the
 * field's permissions applied to the bytes (a supervisor without identifying fields cannot download a document).
 */

const RECORDS = '/api/v1/records';
const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), Buffer.alloc(2000, 0x41), Buffer.from('\n%%EOF\n')]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.alloc(500, 7)]);
const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(1000, 0)]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(100, 1)]);
const MP3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), Buffer.alloc(300, 0)]);

type Who = 'worker' | 'colleague' | 'supervisor' | 'cpWorker';

describe('records: attachments', () => {
  let t: TestApp;
  let ds: DataSource;
  const tokens = {} as Record<Who, string>;
  const users = {} as Record<Who, { id: string }>;
  let gbvCase: TestRecord;
  let cpCase: TestRecord;

  const upload = (who: Who, record: TestRecord, file: { bytes: Buffer; name: string; type: string } | undefined, fields: Record<string, string> = {}) => {
    let req = t.http().post(`${RECORDS}/${record.recordType}/${record.id}/attachments`).set('Authorization', `Bearer ${tokens[who]}`);
    for (const [name, value] of Object.entries(fields)) req = req.field(name, value);
    if (file) req = req.attach('file', file.bytes, { filename: file.name, contentType: file.type });
    return req;
  };
  const download = (who: Who, record: TestRecord, attachmentId: string) =>
    t
      .http()
      .get(`${RECORDS}/${record.recordType}/${record.id}/attachments/${attachmentId}`)
      .set('Authorization', `Bearer ${tokens[who]}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
  const remove = (who: Who, record: TestRecord, attachmentId: string) =>
    t.http().delete(`${RECORDS}/${record.recordType}/${record.id}/attachments/${attachmentId}`).set('Authorization', `Bearer ${tokens[who]}`);
  const state = async (record: TestRecord) => {
    const [row] = await ds.query(
      `SELECT r.version, r.data,
              (SELECT count(*)::int FROM record_attachment a WHERE a.record_id = r.id) AS files,
              (SELECT count(*)::int FROM record_history h WHERE h.record_id = r.id) AS history,
              (SELECT count(*)::int FROM audit_log l WHERE l.object_id = r.id::text AND l.action LIKE 'record.attachment_%') AS audits
         FROM record r WHERE r.id = $1`,
      [record.id],
    );
    return row as { version: number; data: Record<string, unknown>; files: number; history: number; audits: number };
  };

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'ATT' });
    await newGroup(ds, { code: 'att-gbv', agency: 'ATT' });
    const roles: Record<Who, string> = { worker: 'gbv_caseworker', colleague: 'gbv_caseworker', supervisor: 'gbv_supervisor', cpWorker: 'cp_caseworker' };
    for (const who of Object.keys(roles) as Who[]) {
      const user = await newUser(ds, { agency: 'ATT', groups: who === 'colleague' ? [] : ['att-gbv'], roles: [roles[who]] });
      users[who] = user;
      tokens[who] = await login(t, user.username, user.password);
    }
    gbvCase = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: users.worker.id, data: { survivor_code_no: 'ATT-1', sex: 'female' } });
    cpCase = await newRecord(ds, { module: 'cp', recordType: 'case', owner: users.cpWorker.id, data: { registration_date: '2025-01-02', sex: 'female', name_first: 'Test' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('uploads, downloads and removes a document: new record versions with history and audit, bytes never served after removal', async () => {
    const before = await state(gbvCase);
    const res = await upload('worker', gbvCase, { bytes: PDF, name: 'consent form é.pdf', type: 'application/pdf' }, { field: 'other_documents', description: 'Signed consent' }).expect(201);
    const meta = res.body;
    expect(meta).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      fileName: 'consent form é.pdf',
      contentType: 'application/pdf',
      size: PDF.length,
      description: 'Signed consent',
      uploadedAt: expect.any(String),
      recordVersion: before.version + 1,
    });
    expect(res.headers.etag).toBe(`"${before.version + 1}"`);

    const after = await state(gbvCase);
    expect(after).toMatchObject({ version: before.version + 1, files: before.files + 1, history: before.history + 1, audits: before.audits + 1 });
    const { recordVersion: _v, ...stored } = meta;
    expect(after.data.other_documents).toEqual([stored]);
    expect(after.data.survivor_code_no).toBe('ATT-1');
    const [history] = await ds.query(`SELECT action, changes, actor_id FROM record_history WHERE record_id = $1 ORDER BY version DESC LIMIT 1`, [gbvCase.id]);
    expect(history).toMatchObject({ action: 'attachment_add', actor_id: users.worker.id, changes: [{ path: 'other_documents', from: null, to: [stored] }] });
    const [file] = await ds.query(`SELECT field, file_name, content_type, size, sha256, octet_length(bytes) AS n, created_by FROM record_attachment WHERE id = $1`, [meta.id]);
    expect(file).toMatchObject({ field: 'other_documents', file_name: 'consent form é.pdf', content_type: 'application/pdf', size: PDF.length, n: PDF.length, created_by: users.worker.id });

    // The record as read shows the file's metadata.
    const view = await t.http().get(`${RECORDS}/case/${gbvCase.id}?module=gbv`).set('Authorization', `Bearer ${tokens.worker}`).expect(200);
    expect(view.body.data.other_documents).toEqual([stored]);
    expect(view.body.version).toBe(before.version + 1);

    const got = await download('worker', gbvCase, meta.id).expect(200);
    expect(Buffer.compare(got.body as Buffer, PDF)).toBe(0);
    expect(got.headers['content-type']).toBe('application/pdf');
    expect(got.headers['content-disposition']).toBe(`attachment; filename="consent form _.pdf"; filename*=UTF-8''consent%20form%20%C3%A9.pdf`);
    expect(got.headers['x-content-type-options']).toBe('nosniff');
    expect(got.headers['cache-control']).toBe('private, no-store');
    expect(got.headers['content-length']).toBe(String(PDF.length));
    const [read] = await ds.query(`SELECT actor_id, details FROM audit_log WHERE action = 'record.attachment_read' AND object_id = $1 ORDER BY id DESC LIMIT 1`, [gbvCase.id]);
    expect(read).toMatchObject({ actor_id: users.worker.id, details: { field: 'other_documents', attachmentId: meta.id, identifying: true } });

    const removed = await remove('worker', gbvCase, meta.id).expect(200);
    expect(removed.body).toMatchObject({ id: meta.id, removed: true, recordVersion: before.version + 2 });
    const gone = await state(gbvCase);
    expect(gone).toMatchObject({ version: before.version + 2, files: before.files + 1, history: before.history + 2 });
    expect(gone.data.other_documents).toEqual([{ ...stored, removed: true }]);
    const [kept] = await ds.query(`SELECT removed_at, removed_by, octet_length(bytes) AS n FROM record_attachment WHERE id = $1`, [meta.id]);
    expect(kept).toMatchObject({ removed_by: users.worker.id, n: PDF.length });
    expect(kept.removed_at).not.toBeNull();
    const [removal] = await ds.query(`SELECT action FROM record_history WHERE record_id = $1 ORDER BY version DESC LIMIT 1`, [gbvCase.id]);
    expect(removal.action).toBe('attachment_remove');

    const after404 = await download('worker', gbvCase, meta.id).expect(404);
    expect(JSON.parse((after404.body as Buffer).toString('utf8')).error.code).toBe('not_found');
    await remove('worker', gbvCase, meta.id).expect(404);
  });

  it('takes the detected type for application/octet-stream and keeps photos and documents in a document+photo field', async () => {
    const res = await upload('worker', gbvCase, { bytes: PNG, name: 'scan', type: 'application/octet-stream' }, { field: 'other_documents' }).expect(201);
    expect(res.body).toMatchObject({ fileName: 'scan', contentType: 'image/png', size: PNG.length, description: null });
    const got = await download('worker', gbvCase, res.body.id).expect(200);
    expect(got.headers['content-type']).toBe('image/png');
  });

  it('a PATCH based on a version before someone else\'s upload, sending back the files it read, is a conflict (not a refusal)', async () => {
    const record = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: users.worker.id, data: { survivor_code_no: 'ATT-2', sex: 'female' } });
    await upload('worker', record, { bytes: PDF, name: 'first.pdf', type: 'application/pdf' }, { field: 'other_documents' }).expect(201);
    const read = await t.http().get(`${RECORDS}/case/${record.id}?module=gbv`).set('Authorization', `Bearer ${tokens.worker}`).expect(200);
    await upload('worker', record, { bytes: PDF, name: 'second.pdf', type: 'application/pdf' }, { field: 'other_documents' }).expect(201);
    const stale = await t.http().patch(`${RECORDS}/case/${record.id}`).set('Authorization', `Bearer ${tokens.worker}`)
      .send({ version: read.body.version, data: { other_documents: read.body.data.other_documents, occupation: 'Teacher' } });
    expect([stale.status, stale.body.error.code, Object.keys(stale.body.error.details.fields)]).toEqual([409, 'version_conflict', ['other_documents']]);
    // Sending back what is stored now is no change; sending other metadata is still refused.
    const now = await t.http().get(`${RECORDS}/case/${record.id}?module=gbv`).set('Authorization', `Bearer ${tokens.worker}`).expect(200);
    await t.http().patch(`${RECORDS}/case/${record.id}`).set('Authorization', `Bearer ${tokens.worker}`)
      .send({ version: now.body.version, data: { other_documents: now.body.data.other_documents, occupation: 'Teacher' } }).expect(200);
    const forged = await t.http().patch(`${RECORDS}/case/${record.id}`).set('Authorization', `Bearer ${tokens.worker}`)
      .send({ version: now.body.version + 1, data: { other_documents: [] } });
    expect([forged.status, forged.body.error.issues[0].code]).toEqual([400, 'attachment_not_writable']);
  });

  it('a supervisor (no identifying fields) neither sees the document field nor downloads its files; nor can they upload', async () => {
    const { body: meta } = await upload('worker', gbvCase, { bytes: PDF, name: 'letter.pdf', type: 'application/pdf' }, { field: 'other_documents' }).expect(201);
    await download('worker', gbvCase, meta.id).expect(200);
    const view = await t.http().get(`${RECORDS}/case/${gbvCase.id}?module=gbv`).set('Authorization', `Bearer ${tokens.supervisor}`).expect(200);
    expect(view.body.data.other_documents).toBeUndefined();
    // Nor does the history tell a file was added to a field they cannot read: such a change is a plain update.
    const history = await t.http().get(`${RECORDS}/case/${gbvCase.id}/history?module=gbv`).set('Authorization', `Bearer ${tokens.supervisor}`).expect(200);
    const actions = history.body.items.map((i: { action: string; changes: unknown[] }) => `${i.action}:${i.changes.length}`);
    expect(actions).not.toContain('attachment_add:0');
    expect(actions).toContain('update:0');
    const denied = await download('supervisor', gbvCase, meta.id).expect(404);
    expect(JSON.parse((denied.body as Buffer).toString('utf8')).error).toMatchObject({ code: 'not_found', message: 'No such attachment.' });
    const before = await state(gbvCase);
    await upload('supervisor', gbvCase, { bytes: PDF, name: 'x.pdf', type: 'application/pdf' }, { field: 'other_documents' }).expect(403);
    await remove('supervisor', gbvCase, meta.id).expect(403);
    expect(await state(gbvCase)).toEqual(before);
  });

  it('a caseworker outside the record gets 404 for everything, exactly as for a missing record or file', async () => {
    const { body: meta } = await upload('worker', gbvCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }, { field: 'other_documents' }).expect(201);
    const missing = await download('worker', gbvCase, randomUUID()).expect(404);
    const denied = await download('colleague', gbvCase, meta.id).expect(404);
    const error = (res: { body: unknown }) => ({ ...JSON.parse((res.body as Buffer).toString('utf8')).error, requestId: undefined });
    expect(error(denied)).toEqual(error(missing));
    await upload('colleague', gbvCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }, { field: 'other_documents' }).expect(404);
    await remove('colleague', gbvCase, meta.id).expect(404);
    // A file id of another record is not a file of this one.
    await download('cpWorker', cpCase, meta.id).expect(404);
    await download('worker', gbvCase, 'not-a-uuid').expect(404);
    await t.http().get(`${RECORDS}/incident/${gbvCase.id}/attachments/${meta.id}`).set('Authorization', `Bearer ${tokens.worker}`).expect(404);
  });

  describe('refused uploads store nothing', () => {
    const cases: Array<[string, () => ReturnType<typeof upload>, number, Array<[string, string]>]> = [
      ['an executable renamed .pdf', () => upload('worker', gbvCase, { bytes: EXE, name: 'invoice.pdf', type: 'application/pdf' }, { field: 'other_documents' }), 400, [['file_content_mismatch', '/file']]],
      ['a PNG declared as a PDF', () => upload('worker', gbvCase, { bytes: PNG, name: 'a.pdf', type: 'application/pdf' }, { field: 'other_documents' }), 400, [['file_content_mismatch', '/file']]],
      ['a GIF (not an allowed type)', () => upload('worker', gbvCase, { bytes: GIF, name: 'a.gif', type: 'image/gif' }, { field: 'other_documents' }), 400, [['file_type_not_allowed', '/file']]],
      ['an executable declared as such', () => upload('worker', gbvCase, { bytes: EXE, name: 'a.exe', type: 'application/x-msdownload' }, { field: 'other_documents' }), 400, [['file_type_not_allowed', '/file']]],
      ['an empty file', () => upload('worker', gbvCase, { bytes: Buffer.alloc(0), name: 'a.pdf', type: 'application/pdf' }, { field: 'other_documents' }), 400, [['file_content_mismatch', '/file']]],
      ['audio in a document+photo field', () => upload('worker', gbvCase, { bytes: MP3, name: 'a.mp3', type: 'audio/mpeg' }, { field: 'other_documents' }), 400, [['attachment_kind_not_allowed', '/file']]],
      ['an unknown field', () => upload('worker', gbvCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }, { field: 'no_such_field' }), 400, [['unknown_field', '/field']]],
      ['a field that is not an attachment field', () => upload('worker', gbvCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }, { field: 'survivor_code_no' }), 400, [['not_an_attachment_field', '/field']]],
      ['a subform path', () => upload('worker', gbvCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }, { field: 'action_plan_section.service_type' }), 400, [['unknown_field', '/field']]],
      ['no field', () => upload('worker', gbvCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }), 400, [['required', '/field']]],
      ['no file', () => upload('worker', gbvCase, undefined, { field: 'other_documents' }), 400, [['required', '/file']]],
      ['no file, no field, an unknown part', () => upload('worker', gbvCase, undefined, { owner: 'x' }), 400, [['unknown_field', '/owner'], ['required', '/field'], ['required', '/file']]],
      ['a description over 1000 characters', () => upload('worker', gbvCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }, { field: 'other_documents', description: 'x'.repeat(1001) }), 400, [['too_long', '/description']]],
      ['a file in another part than `file`', () => upload('worker', gbvCase, undefined, { field: 'other_documents' }).attach('document', PDF, { filename: 'a.pdf', contentType: 'application/pdf' }), 400, [['unknown_field', '']]],
      ['two files', () => upload('worker', gbvCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }, { field: 'other_documents' }).attach('file', PDF, { filename: 'b.pdf', contentType: 'application/pdf' }), 400, [['too_many', '']]],
    ];
    it.each(cases)('%s', async (_name, send, status, issues) => {
      const before = await state(gbvCase);
      const res = await send().expect(status);
      expect(res.body.error.issues.map((i: { code: string; path: string }) => [i.code, i.path])).toEqual(issues);
      expect(await state(gbvCase)).toEqual(before);
    });

    it('a photo-only field refuses a document (kinds)', async () => {
      const before = await state(cpCase);
      const res = await upload('cpWorker', cpCase, { bytes: PDF, name: 'a.pdf', type: 'application/pdf' }, { field: 'photos' }).expect(400);
      expect(res.body.error.issues).toEqual([expect.objectContaining({ code: 'attachment_kind_not_allowed', path: '/file' })]);
      expect(await state(cpCase)).toEqual(before);
      await upload('cpWorker', cpCase, { bytes: PNG, name: 'child.png', type: 'image/png' }, { field: 'photos' }).expect(201);
    });

    it('a JSON body is a 415', async () => {
      const res = await t.http().post(`${RECORDS}/case/${gbvCase.id}/attachments`).set('Authorization', `Bearer ${tokens.worker}`).send({ field: 'other_documents' }).expect(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
    });

    it('a file over attachments.maxBytes (20 MiB) is a 413 in the error shape, nothing stored', async () => {
      const before = await state(gbvCase);
      const big = Buffer.concat([PDF, Buffer.alloc(21 * 1024 * 1024, 0x20)]);
      const res = await upload('worker', gbvCase, { bytes: big, name: 'big.pdf', type: 'application/pdf' }, { field: 'other_documents' }).expect(413);
      expect(res.body.error).toMatchObject({ code: 'payload_too_large', issues: [{ code: 'too_large', path: '/file', params: { limit: 20 * 1024 * 1024 } }] });
      expect(await state(gbvCase)).toEqual(before);
    });

    it('without a session nothing is parsed: 401', async () => {
      await t.http().post(`${RECORDS}/case/${gbvCase.id}/attachments`).field('field', 'other_documents').attach('file', PDF, { filename: 'a.pdf', contentType: 'application/pdf' }).expect(401);
    });
  });
});
