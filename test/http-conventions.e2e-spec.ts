import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from './support/test-app.js';

function expectErrorShape(body: unknown, code: string): void {
  expect(body).toEqual({
    error: expect.objectContaining({ code, message: expect.any(String), issues: expect.any(Array), requestId: expect.any(String) }),
  });
}

describe('HTTP conventions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ HAVEN_BODY_LIMIT: '4096' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers health with the database kind and version', async () => {
    const res = await t.http().get('/api/v1/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: { kind: t.db.kind }, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('echoes a well-formed request id and replaces a malformed one', async () => {
    const ok = await t.http().get('/api/v1/health').set('X-Request-Id', 'client-req-123456');
    expect(ok.headers['x-request-id']).toBe('client-req-123456');
    const bad = await t.http().get('/api/v1/health').set('X-Request-Id', 'bad id with spaces');
    expect(bad.headers['x-request-id']).not.toBe('bad id with spaces');
  });

  it.each([
    ['GET', '/api/v1/no-such-route'],
    ['GET', '/nothing-here'],
    ['DELETE', '/api/v1/health'],
    ['PUT', '/api/v1/health'],
    ['PATCH', '/api/v1/health/../../etc/passwd'],
  ])('%s %s is a 404 in the error shape', async (method, path) => {
    const res = await t.http()[method.toLowerCase() as 'get'](path);
    expect(res.status).toBe(404);
    expectErrorShape(res.body, 'not_found');
  });

  it.each(['{bad', '{"a":', '[1,2', 'null garbage', '{"a":1}}', '\u0000'])('malformed JSON %j is a 400 malformed_json', async (body) => {
    const res = await t.http().post('/api/v1/health').set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(400);
    expectErrorShape(res.body, 'malformed_json');
  });

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded'])('a %s body is a 415', async (type) => {
    const res = await t.http().post('/api/v1/health').set('Content-Type', type).send('a=1');
    expect(res.status).toBe(415);
    expectErrorShape(res.body, 'unsupported_media_type');
  });

  it('a body over the limit is a 413', async () => {
    const res = await t.http().post('/api/v1/health').set('Content-Type', 'application/json').send(JSON.stringify({ a: 'x'.repeat(10_000) }));
    expect(res.status).toBe(413);
    expectErrorShape(res.body, 'payload_too_large');
  });

  it('a bad percent-encoding in the path is a 4xx, not a 5xx', async () => {
    const res = await t.http().get('/api/v1/%E0%A4%A');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('serves the OpenAPI document and its UI', async () => {
    const json = await t.http().get('/api/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toContain('/api/v1/health');
    const ui = await t.http().get('/api/docs/').expect(200);
    expect(ui.text).toContain('swagger');
  });
});
