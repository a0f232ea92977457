import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { readBundleDir } from '../modules/config/bundle-files.js';
import { ActiveConfigService } from '../modules/config/active-config.service.js';
import { createApp } from '../modules/create-app.js';
import { loadEnv } from '../modules/settings/env.js';
import { as, login, newAgency, newUser, strongPassword } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type Api = ReturnType<typeof as>;
type Files = Record<string, string>;

const FORMS = '/api/v1/forms?module=gbv&recordType=incident';
const FIELD = 'harmful_traditional_practice';

/** The shipped gbv bundle with one field label and the version changed (a harmless, visible change). */
async function gbvVariant(label: string, version: string): Promise<Files> {
  const files = await readBundleDir(path.resolve('configs/gbv'));
  const manifest = JSON.parse(files['bundle.json']!);
  files['bundle.json'] = JSON.stringify({ ...manifest, version });
  const formPath = 'forms/gbv.incident.gbv_sexual_violence.json';
  const form = JSON.parse(files[formPath]!);
  form.fields.find((f: { key: string }) => f.key === FIELD).label = label;
  files[formPath] = JSON.stringify(form, null, 2);
  return files;
}

function fieldLabel(body: { forms: Array<{ fields: Array<{ key: string; label: string }> }> }): string | undefined {
  return body.forms.flatMap((f) => f.fields).find((f) => f.key === FIELD)?.label;
}

async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Requests that keep flowing while something happens; every answer is kept. */
function keepRequesting(api: Api, url: string, loops = 3) {
  let running = true;
  const statuses: number[] = [];
  const labels: Array<string | undefined> = [];
  const runs = Array.from({ length: loops }, async () => {
    while (running) {
      const res = await api.get(url);
      statuses.push(res.status);
      labels.push(res.status === 200 ? fieldLabel(res.body) : undefined);
    }
  });
  return {
    statuses,
    labels,
    async stop() {
      running = false;
      await Promise.all(runs);
    },
  };
}

describe('bundle governance: draft -> submitted -> approved -> active, and back', () => {
  let t: TestApp;
  let second: NestExpressApplication;
  let admin: Api;
  let adminCommittee: Api;
  let sc1: Api;
  let sc2: Api;
  let caseworker: Api;
  let originalGbv: string;

  beforeAll(async () => {
    t = await startTestApp();
    const ds = t.app.get(DataSource);
    const user = async (roles: string[]) => {
      const u = await newUser(ds, { roles });
      return as(t, await login(t, u.username, u.password));
    };
    [admin, adminCommittee, sc1, sc2, caseworker] = await Promise.all([
      user(['system_admin']),
      user(['system_admin', 'steering_committee']),
      user(['steering_committee']),
      user(['steering_committee']),
      user(['gbv_caseworker']),
    ]);
    // A second app instance on the same database: activation must reach it without a restart.
    const env = loadEnv({ LOG_LEVEL: 'silent', DATABASE_URL: t.db.url });
    second = await createApp({ env, databaseKind: t.db.kind, databaseUrl: t.db.url });
    const active = await admin.get('/api/v1/config/bundles/active?bundle=gbv').expect(200);
    originalGbv = active.body.items[0].hash;
  });
  afterAll(async () => {
    await second?.close();
    await t.close();
  });

  let v2: string;

  it('imports a draft (201, then 200 for the same content) and lists it', async () => {
    const files = await gbvVariant('Harmful traditional practice? (v2)', '2026.12.0');
    const res = await admin.post('/api/v1/config/bundles', { files }).expect(201);
    expect(res.body).toMatchObject({ key: 'gbv', version: '2026.12.0', state: 'draft', created: true });
    expect(res.body.hash).toMatch(/^[0-9a-f]{64}$/);
    v2 = res.body.hash;
    const again = await admin.post('/api/v1/config/bundles', { files }).expect(200);
    expect(again.body).toMatchObject({ hash: v2, created: false, state: 'draft' });
    const list = await sc1.get('/api/v1/config/bundles?bundle=gbv').expect(200);
    expect(list.body.items.map((b: { hash: string; state: string }) => [b.hash, b.state])).toEqual([[v2, 'draft'], [originalGbv, 'active']]);
    expect(list.body.items[0]).toMatchObject({ key: 'gbv', description: null, submitter: null, approvals: { count: 0, required: 2, reviews: [] } });
    expect(list.body.items[0].createdAt).toBeDefined();
  });

  it('refuses to activate a draft, and to submit without a description', async () => {
    const activate = await admin.post(`/api/v1/config/bundles/${v2}/activate`).expect(409);
    expect(activate.body.error.issues[0].code).toBe('not_approved');
    const submit = await admin.post(`/api/v1/config/bundles/${v2}/submit`, { description: '  ' }).expect(400);
    expect(submit.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['/description']);
    const nul = await admin.post(`/api/v1/config/bundles/${v2}/submit`, { description: 'a\u0000b' }).expect(400);
    expect(nul.body.error.issues).toEqual([expect.objectContaining({ code: 'invalid_character', path: '/description' })]);
  });

  it('submits; a single approval is not enough to activate; approvals need a comment and the role', async () => {
    const submitted = await admin.post(`/api/v1/config/bundles/${v2}/submit`, { description: 'Clearer wording for the HTP question.' }).expect(200);
    expect(submitted.body).toMatchObject({ state: 'submitted', description: 'Clearer wording for the HTP question.', breaking: [], migrationNote: null });
    expect(submitted.body.submitter.username).toBeDefined();

    await sc1.post(`/api/v1/config/bundles/${v2}/approve`, {}).expect(400);
    await caseworker.post(`/api/v1/config/bundles/${v2}/approve`, { comment: 'sure' }).expect(403);
    await admin.post(`/api/v1/config/bundles/${v2}/approve`, { comment: 'sure' }).expect(403);

    const one = await sc1.post(`/api/v1/config/bundles/${v2}/approve`, { comment: 'Reads well.' }).expect(200);
    expect(one.body).toMatchObject({ state: 'submitted', approvals: { count: 1, required: 2 } });
    const twice = await sc1.post(`/api/v1/config/bundles/${v2}/approve`, { comment: 'Again.' }).expect(409);
    expect(twice.body.error.issues[0].code).toBe('already_reviewed');

    const early = await admin.post(`/api/v1/config/bundles/${v2}/activate`).expect(409);
    expect(early.body.error.issues[0].code).toBe('not_approved');

    const two = await sc2.post(`/api/v1/config/bundles/${v2}/approve`, { comment: 'Agreed.' }).expect(200);
    expect(two.body).toMatchObject({ state: 'approved', approvals: { count: 2 } });
    expect(two.body.approvals.reviews.map((r: { comment: string }) => r.comment)).toEqual(['Reads well.', 'Agreed.']);
  });

  it('only a system administrator activates: atomically, while requests keep flowing, on every instance', async () => {
    await sc1.post(`/api/v1/config/bundles/${v2}/activate`).expect(403);
    const before = await caseworker.get(FORMS).expect(200);
    expect(fieldLabel(before.body)).toBe('Was this incident a harmful traditional practice?');

    const traffic = keepRequesting(caseworker, FORMS);
    let res;
    try {
      await eventually(() => traffic.statuses.length >= 5);
      res = await admin.post(`/api/v1/config/bundles/${v2}/activate`).expect(200);
      const seen = traffic.statuses.length;
      await eventually(() => traffic.statuses.length >= seen + 5);
    } finally {
      await traffic.stop(); // also when the activation fails: the requests would otherwise never end
    }

    expect(res.body.bundle).toMatchObject({ hash: v2, state: 'active' });
    expect(res.body.previousHash).toBe(originalGbv);
    expect(traffic.statuses.every((s) => s === 200)).toBe(true);
    // Old label, then new label: never anything else, never back.
    const first = traffic.labels.indexOf('Harmful traditional practice? (v2)');
    expect(first).toBeGreaterThan(0);
    expect(new Set(traffic.labels.slice(0, first))).toEqual(new Set(['Was this incident a harmful traditional practice?']));
    expect(new Set(traffic.labels.slice(first + 3))).toEqual(new Set(['Harmful traditional practice? (v2)']));

    expect(fieldLabel((await caseworker.get(FORMS).expect(200)).body)).toBe('Harmful traditional practice? (v2)');
    const modules = await caseworker.get('/api/v1/modules').expect(200);
    expect(modules.body.items.find((m: { key: string }) => m.key === 'gbv').bundle).toMatchObject({ hash: v2, version: '2026.12.0' });

    const other = second.get(ActiveConfigService);
    await eventually(() => other.current().bundles.find((b) => b.key === 'gbv')?.hash === v2);

    const list = await admin.get('/api/v1/config/bundles?bundle=gbv').expect(200);
    expect(list.body.items.map((b: { hash: string; state: string }) => [b.hash, b.state])).toEqual([[v2, 'active'], [originalGbv, 'superseded']]);
    const active = await admin.get('/api/v1/config/bundles/active?bundle=gbv').expect(200);
    expect(active.body.items[0]).toMatchObject({ key: 'gbv', hash: v2, previousHash: originalGbv, version: '2026.12.0' });
  });

  it('rolls back to the previously active bundle, everywhere, and not further than the baseline', async () => {
    await sc1.post('/api/v1/config/bundles/rollback', { bundle: 'gbv' }).expect(403);
    const res = await admin.post('/api/v1/config/bundles/rollback', { bundle: 'gbv' }).expect(200);
    expect(res.body).toMatchObject({ bundle: { hash: originalGbv, state: 'active' }, rolledBack: v2 });
    expect(fieldLabel((await caseworker.get(FORMS).expect(200)).body)).toBe('Was this incident a harmful traditional practice?');
    const other = second.get(ActiveConfigService);
    await eventually(() => other.current().bundles.find((b) => b.key === 'gbv')?.hash === originalGbv);
    const list = await admin.get('/api/v1/config/bundles?bundle=gbv').expect(200);
    expect(list.body.items.map((b: { hash: string; state: string }) => [b.hash, b.state])).toEqual([[v2, 'superseded'], [originalGbv, 'active']]);
    const again = await admin.post('/api/v1/config/bundles/rollback', { bundle: 'gbv' }).expect(409);
    expect(again.body.error.issues[0].code).toBe('nothing_to_roll_back');
  });

  it('refuses self-approval, and rejection takes a comment', async () => {
    const files = await gbvVariant('HTP (v3)', '2026.12.1');
    const { body } = await adminCommittee.post('/api/v1/config/bundles', { files }).expect(201);
    await adminCommittee.post(`/api/v1/config/bundles/${body.hash}/submit`, { description: 'Shorter label.' }).expect(200);
    const self = await adminCommittee.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'Mine, approved.' }).expect(403);
    expect(self.body.error.issues[0].code).toBe('self_approval');
    await sc1.post(`/api/v1/config/bundles/${body.hash}/reject`, {}).expect(400);
    const rejected = await sc1.post(`/api/v1/config/bundles/${body.hash}/reject`, { comment: 'Too terse for interviewers.' }).expect(200);
    expect(rejected.body).toMatchObject({ state: 'rejected', approvals: { count: 0, reviews: [{ decision: 'reject', comment: 'Too terse for interviewers.' }] } });
    await admin.post(`/api/v1/config/bundles/${body.hash}/activate`).expect(409);
    // A rejected bundle may be submitted again: a new round, earlier reviews no longer count.
    const resubmitted = await admin.post(`/api/v1/config/bundles/${body.hash}/submit`, { description: 'Shorter label, interviewers consulted.' }).expect(200);
    expect(resubmitted.body).toMatchObject({ state: 'submitted', approvals: { count: 0, reviews: [] } });
  });

  it('an account the submitter created, gave its roles or reset cannot approve; an approver disabled or off the committee since no longer counts', async () => {
    const ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'GOV-A' });
    /** Signs in with a password an administrator set, and changes it as the server then asks. */
    const signedIn = async (username: string, password: string) => {
      const own = strongPassword();
      await as(t, await login(t, username, password)).post('/api/v1/auth/password', { currentPassword: password, newPassword: own }).expect((res) => expect([200, 204]).toContain(res.status));
      return as(t, await login(t, username, own));
    };
    const { body } = await admin.post('/api/v1/config/bundles', { files: await gbvVariant('HTP (minted)', '2026.12.4') }).expect(201);
    await admin.post(`/api/v1/config/bundles/${body.hash}/submit`, { description: 'Approved by my own people.' }).expect(200);
    // The submitting administrator makes a committee member through the API, with a password they know.
    const password = strongPassword();
    const username = `minted.${Date.now()}`;
    await admin.post('/api/v1/users', { username, fullName: 'Minted Member', password, agency: 'GOV-A', roles: ['steering_committee'] }).expect(201);
    const minted = await signedIn(username, password);
    const refused = await minted.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'Fine by me.' }).expect(403);
    expect(refused.body.error.issues[0].code).toBe('approver_managed_by_submitter');
    // Nor a real member whose password the submitter reset.
    const member = await newUser(ds, { roles: ['steering_committee'] });
    const reset = strongPassword();
    await admin.post(`/api/v1/users/${member.username}/reset-password`, { password: reset }).expect(200);
    const taken = await signedIn(member.username, reset);
    await taken.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'ok' }).expect(403);
    // Members the submitter never managed approve; one of them disabled afterwards no longer counts.
    const two = await sc1.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'ok' }).expect(200);
    expect(two.body.approvals.count).toBe(1);
    const outsider = await newUser(ds, { roles: ['steering_committee'] });
    const outsiderApi = as(t, await login(t, outsider.username, outsider.password));
    const approved = await outsiderApi.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'ok' }).expect(200);
    expect(approved.body).toMatchObject({ state: 'approved', approvals: { count: 2 } });
    const count = async () => (await admin.get(`/api/v1/config/bundles/${body.hash}`).expect(200)).body.approvals.count;
    await ds.query(`UPDATE app_user SET disabled = true WHERE id = $1`, [outsider.id]);
    expect(await count()).toBe(1);
    const early = await admin.post(`/api/v1/config/bundles/${body.hash}/activate`).expect(409);
    expect(early.body.error.issues[0]).toMatchObject({ code: 'not_enough_approvals', params: { approvals: 1, required: 2 } });
    // Enabled again it counts again; moved off the committee it does not.
    await ds.query(`UPDATE app_user SET disabled = false WHERE id = $1`, [outsider.id]);
    expect(await count()).toBe(2);
    await ds.query(`UPDATE app_user SET roles = '{gbv_caseworker}' WHERE id = $1`, [outsider.id]);
    expect(await count()).toBe(1);
    await admin.post(`/api/v1/config/bundles/${body.hash}/activate`).expect(409);
  });

  it('audits every step', async () => {
    const actions = [
      'config.bundle_imported',
      'config.bundle_submitted',
      'config.bundle_approved',
      'config.bundle_rejected',
      'config.bundle_activated',
      'config.bundle_rolled_back',
      'config.bundle_approve_refused',
      'config.bundle_activate_refused',
    ];
    for (const action of actions) {
      const res = await admin.get(`/api/v1/audit?action=${action}`).expect(200);
      expect([action, res.body.items.length > 0]).toEqual([action, true]);
      expect(res.body.items[0]).toMatchObject({ objectType: 'bundle', objectId: 'gbv' });
    }
  });
  it('activating a version makes the others under review or approved stale: they must be submitted again', async () => {
    const approved = async (label: string, version: string) => {
      const { body } = await admin.post('/api/v1/config/bundles', { files: await gbvVariant(label, version) }).expect(201);
      await admin.post(`/api/v1/config/bundles/${body.hash}/submit`, { description: `Label ${label}.` }).expect(200);
      await sc1.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'ok' }).expect(200);
      await sc2.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'ok' }).expect(200);
      return body.hash as string;
    };
    const first = await approved('HTP (v4)', '2026.12.2');
    const second = await approved('HTP (v5)', '2026.12.3');
    const pending = (await admin.get('/api/v1/config/bundles?bundle=gbv&state=submitted').expect(200)).body.items.map((b: { hash: string }) => b.hash);
    expect(pending.length).toBeGreaterThan(0); // the re-submitted v3 above
    const res = await admin.post(`/api/v1/config/bundles/${first}/activate`).expect(200);
    expect(res.body.bundle).toMatchObject({ hash: first, state: 'active' });
    const states = new Map((await admin.get('/api/v1/config/bundles?bundle=gbv').expect(200)).body.items.map((b: { hash: string; state: string }) => [b.hash, b.state]));
    expect(states.get(second)).toBe('superseded');
    for (const hash of pending) expect([hash, states.get(hash)]).toEqual([hash, 'superseded']);
    // Approved against the version active before: activating it now would be a change nobody reviewed.
    const refused = await admin.post(`/api/v1/config/bundles/${second}/activate`).expect(409);
    expect(refused.body.error.issues[0].code).toBe('not_approved');
    const again = await admin.post(`/api/v1/config/bundles/${second}/submit`, { description: 'Against v4 now.' }).expect(200);
    expect(again.body).toMatchObject({ state: 'submitted', approvals: { count: 0, reviews: [] } });
    const [audit] = (await admin.get('/api/v1/audit?action=config.bundle_activated').expect(200)).body.items;
    expect(audit.details.superseded).toEqual(expect.arrayContaining([second, ...pending]));
  });

  it('checks the templates again at activation: a stored source that breaks a rule added since is refused', async () => {
    const files = await readBundleDir(path.resolve('configs/core'));
    files['bundle.json'] = JSON.stringify({ ...JSON.parse(files['bundle.json']!), version: '2026.12.5' });
    const { body } = await admin.post('/api/v1/config/bundles', { files }).expect(201);
    await admin.post(`/api/v1/config/bundles/${body.hash}/submit`, { description: 'Core, unchanged but for the version.' }).expect(200);
    await sc1.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'ok' }).expect(200);
    await sc2.post(`/api/v1/config/bundles/${body.hash}/approve`, { comment: 'ok' }).expect(200);
    // As if stored before loops were limited: five nested loops (the import refuses them today).
    const ds = t.app.get(DataSource);
    await ds.transaction(async (tx) => {
      await tx.query(`SET LOCAL session_replication_role = replica`);
      await tx.query(`UPDATE config_bundle SET files = jsonb_set(files, '{templates/case_summary.en.hbs}', to_jsonb($2::text)) WHERE hash = $1`, [
        body.hash,
        '{{#each forms}}{{#each forms}}{{#each forms}}{{#each forms}}{{#each forms}}x{{/each}}{{/each}}{{/each}}{{/each}}{{/each}}',
      ]);
    });
    const refused = await admin.post(`/api/v1/config/bundles/${body.hash}/activate`).expect(422);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ code: 'template_syntax' })]);
    const active = await admin.get('/api/v1/config/bundles/active?bundle=core').expect(200);
    expect(active.body.items[0].hash).not.toBe(body.hash);
  });
});
