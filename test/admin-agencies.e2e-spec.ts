import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { as, login, newAgency, newGroup, newUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { withClient } from './support/test-database.js';

// A 1×1 transparent PNG, and bytes that start like a JPEG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]);
const dataUrl = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;

describe('admin API: agencies and user groups', () => {
  let t: TestApp;
  let ds: DataSource;
  let api: ReturnType<typeof as>;

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    const admin = await newUser(ds, { username: 'root.admin', roles: ['system_admin'], agency: null });
    api = as(t, await login(t, admin.username, admin.password));
  });
  afterAll(async () => {
    await t.close();
  });

  const audit = (objectType: string, objectId: string) =>
    withClient(t.db.url, async (c) => (await c.query(`SELECT action, actor, details FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY id`, [objectType, objectId])).rows);

  describe('agencies', () => {
    it('creates an agency with a logo and serves the logo', async () => {
      const res = await api.post('/api/v1/agencies', { code: 'IRC', name: 'International Rescue Committee', logo: dataUrl('image/png', PNG) }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        code: 'IRC',
        name: 'International Rescue Committee',
        disabled: false,
        logoUrl: '/api/v1/agencies/IRC/logo',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const logo = await api.get('/api/v1/agencies/irc/logo').expect(200);
      expect(logo.headers['content-type']).toBe('image/png');
      expect(logo.headers['x-content-type-options']).toBe('nosniff');
      expect(Buffer.compare(logo.body as Buffer, PNG)).toBe(0);
      expect(await audit('agency', 'IRC')).toEqual([{ action: 'agency.create', actor: 'root.admin', details: { fields: ['code', 'logo', 'name'] } }]);
    });

    it('creates an agency without a logo (logo route is a 404)', async () => {
      const res = await api.post('/api/v1/agencies', { code: 'UNFPA', name: 'UNFPA' }).expect(201);
      expect(res.body.logoUrl).toBeNull();
      await api.get('/api/v1/agencies/UNFPA/logo').expect(404);
    });

    it('refuses a code taken in another case (409 on /code)', async () => {
      await newAgency(ds, { code: 'Save-Kids' });
      const res = await api.post('/api/v1/agencies', { code: 'SAVE-KIDS', name: 'Again' }).expect(409);
      expect(res.body.error.issues).toEqual([expect.objectContaining({ code: 'duplicate', path: '/code' })]);
    });

    it.each([
      ['not a data URL', 'https://example.org/logo.png', 'invalid_format'],
      ['a GIF', dataUrl('image/gif', Buffer.from('GIF89a')), 'unsupported_type'],
      ['SVG (scripts in images)', dataUrl('image/svg+xml', Buffer.from('<svg/>')), 'unsupported_type'],
      ['bytes that are not a PNG', dataUrl('image/png', JPEG), 'content_mismatch'],
      ['over 200 KB', dataUrl('image/jpeg', Buffer.concat([JPEG, Buffer.alloc(200 * 1024)])), 'too_large'],
    ])('refuses a logo that is %s', async (_name, logo, code) => {
      const res = await api.post('/api/v1/agencies', { code: `BAD-${code}`, name: 'Bad logo', logo }).expect(400);
      expect(res.body.error.issues).toEqual([expect.objectContaining({ code, path: '/logo' })]);
    });

    it('accepts a JPEG', async () => {
      await api.post('/api/v1/agencies', { code: 'JPEG-AG', name: 'J', logo: dataUrl('image/jpeg', JPEG) }).expect(201);
      const logo = await api.get('/api/v1/agencies/JPEG-AG/logo').expect(200);
      expect(logo.headers['content-type']).toBe('image/jpeg');
    });

    it('changes name, logo and disabled flag; the code never changes', async () => {
      const { code } = await newAgency(ds, { name: 'Old name' });
      const res = await api.patch(`/api/v1/agencies/${code}`, { name: 'New name', logo: dataUrl('image/png', PNG), disabled: true }).expect(200);
      expect(res.body).toMatchObject({ code, name: 'New name', disabled: true, logoUrl: expect.any(String) });
      const removed = await api.patch(`/api/v1/agencies/${code}`, { logo: null }).expect(200);
      expect(removed.body.logoUrl).toBeNull();
      await api.patch(`/api/v1/agencies/${code}`, { code: 'RENAMED' }).expect(400);
      await api.patch(`/api/v1/agencies/${code}`, { name: 'New name' }).expect(200);
      expect((await audit('agency', code)).map((r) => r.details)).toEqual([{ fields: ['disabled', 'logo', 'name'] }, { fields: ['logo'] }]);
    });

    it('lists with text and disabled filters, and reads one; unknown is a 404', async () => {
      await newAgency(ds, { code: 'FILTER-ONE', name: 'Women Rise' });
      await newAgency(ds, { code: 'FILTER-TWO', name: 'Closed', disabled: true });
      const res = await api.get('/api/v1/agencies?q=filter-&pageSize=1').expect(200);
      expect(res.body).toMatchObject({ total: 2, page: 1, pageSize: 1, items: [{ code: 'FILTER-ONE' }] });
      const disabled = await api.get('/api/v1/agencies?q=filter&disabled=true').expect(200);
      expect(disabled.body.items.map((a: { code: string }) => a.code)).toEqual(['FILTER-TWO']);
      expect((await api.get('/api/v1/agencies?q=rise').expect(200)).body.items.map((a: { code: string }) => a.code)).toEqual(['FILTER-ONE']);
      await api.get('/api/v1/agencies/filter-one').expect(200);
      await api.get('/api/v1/agencies/NOPE').expect(404);
      await api.patch('/api/v1/agencies/NOPE', { name: 'x' }).expect(404);
      await api.get('/api/v1/agencies?pageSize=101').expect(400);
    });

    it('refuses a missing name, a bad code and unknown properties at their pointers', async () => {
      const res = await api.post('/api/v1/agencies', { code: 'has space', extra: 1 }).expect(400);
      const paths = new Set(res.body.error.issues.map((i: { path: string }) => i.path));
      expect([...paths].sort()).toEqual(['/code', '/extra', '/name']);
    });
  });

  describe('user groups', () => {
    beforeAll(async () => {
      await newAgency(ds, { code: 'GRP-AG' });
    });

    it('creates a group in an agency and one across agencies', async () => {
      const res = await api.post('/api/v1/user-groups', { code: 'north-gbv', name: 'North GBV team', agency: 'grp-ag' }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        code: 'north-gbv',
        name: 'North GBV team',
        agency: 'GRP-AG',
        disabled: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const shared = await api.post('/api/v1/user-groups', { code: 'case-conference', name: 'Case conference' }).expect(201);
      expect(shared.body.agency).toBeNull();
      expect(await audit('user_group', 'north-gbv')).toEqual([{ action: 'user_group.create', actor: 'root.admin', details: { fields: ['agency', 'code', 'name'] } }]);
    });

    it('refuses an unknown agency (400 on /agency) and a duplicate code (409 on /code)', async () => {
      const unknown = await api.post('/api/v1/user-groups', { code: 'g-unknown', name: 'G', agency: 'NO-SUCH' }).expect(400);
      expect(unknown.body.error.issues).toEqual([expect.objectContaining({ code: 'unknown_agency', path: '/agency' })]);
      await newGroup(ds, { code: 'Dup-Group' });
      const dup = await api.post('/api/v1/user-groups', { code: 'DUP-GROUP', name: 'G' }).expect(409);
      expect(dup.body.error.issues).toEqual([expect.objectContaining({ code: 'duplicate', path: '/code' })]);
    });

    it('changes name, agency and disabled flag, audited by field name', async () => {
      const { code } = await newGroup(ds, { name: 'Before' });
      const res = await api.patch(`/api/v1/user-groups/${code}`, { name: 'After', agency: 'GRP-AG', disabled: true }).expect(200);
      expect(res.body).toMatchObject({ code, name: 'After', agency: 'GRP-AG', disabled: true });
      const back = await api.patch(`/api/v1/user-groups/${code}`, { agency: null }).expect(200);
      expect(back.body.agency).toBeNull();
      expect((await audit('user_group', code)).map((r) => r.details)).toEqual([{ fields: ['agency', 'disabled', 'name'] }, { fields: ['agency'] }]);
    });

    it('a disabled group stops granting group membership', async () => {
      const group = await newGroup(ds, { agency: 'GRP-AG' });
      const member = await newUser(ds, { agency: 'GRP-AG', roles: ['gbv_caseworker'], groups: [group.code] });
      const token = await login(t, member.username, member.password);
      expect((await as(t, token).get('/api/v1/auth/me').expect(200)).body.groups).toEqual([group.code]);
      await api.patch(`/api/v1/user-groups/${group.code}`, { disabled: true }).expect(200);
      expect((await as(t, token).get('/api/v1/auth/me').expect(200)).body.groups).toEqual([]);
    });

    it('lists by agency, text and disabled flag; unknown is a 404', async () => {
      await newGroup(ds, { code: 'list-g1', agency: 'GRP-AG' });
      await newGroup(ds, { code: 'list-g2', disabled: true });
      expect((await api.get('/api/v1/user-groups?q=list-g').expect(200)).body.items.map((g: { code: string }) => g.code)).toEqual(['list-g1', 'list-g2']);
      expect((await api.get('/api/v1/user-groups?q=list-g&agency=grp-ag').expect(200)).body.items.map((g: { code: string }) => g.code)).toEqual(['list-g1']);
      expect((await api.get('/api/v1/user-groups?q=list-g&disabled=true').expect(200)).body.items.map((g: { code: string }) => g.code)).toEqual(['list-g2']);
      await api.get('/api/v1/user-groups/LIST-G1').expect(200);
      await api.get('/api/v1/user-groups/none-such').expect(404);
    });
  });
});
