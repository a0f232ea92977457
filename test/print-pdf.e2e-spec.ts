import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { as, type TestUser } from './support/factories.js';
import type { TestRecord } from './support/record-factories.js';
import { CONCERN, newPrintCase, PLAN } from './support/print-fixture.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * PDF printouts (`Accept: application/pdf`): the same HTML document rendered by the system Chromium, with the same
 * access, redaction and audit as the HTML. These tests need Chromium (Debian's `chromium`, or HAVEN_CHROMIUM_PATH):
 * without it the app refuses to start and every test here fails; they are never skipped.
 */

const NAME = 'Zainab Qwertyuiop';

interface PdfText {
  pages: number;
  title: string | undefined;
  text: string;
  /** Page 1's text runs: left edge, baseline and width, in points from the page's bottom left corner. */
  runs: { str: string; x: number; y: number; width: number }[];
}

/**
 * The PDF's page count, document title and text (pdf.js; Arabic presentation forms folded back to letters by NFKC).
 * Text is in drawing order: right-to-left runs read reversed.
 */
async function readPdf(bytes: Buffer): Promise<PdfText> {
  const doc = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, isEvalSupported: false, verbosity: 0 }).promise;
  try {
    const parts: string[] = [];
    const runs: PdfText['runs'] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      parts.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''));
      if (n === 1) {
        for (const item of content.items) if ('str' in item && item.str.trim() !== '') runs.push({ str: item.str.normalize('NFKC'), x: item.transform[4] as number, y: item.transform[5] as number, width: item.width });
      }
    }
    const info = (await doc.getMetadata()).info as { Title?: string };
    return { pages: doc.numPages, title: info.Title, text: parts.join('\n').normalize('NFKC'), runs };
  } finally {
    await doc.destroy();
  }
}

describe('printing records as PDF', () => {
  let t: TestApp;
  let ds: DataSource;
  let owner: TestUser;
  let supervisor: TestUser;
  let partner: TestUser;
  let outsider: TestUser;
  let record: TestRecord;
  let referralId: string;
  const tokens: Record<string, string> = {};

  const printUrl = (query: string, id = record.id) => `/api/v1/records/case/${id}/print?${query}`;
  // responseType('blob'): the body is collected as a Buffer, whatever the content type (PDF, or a JSON error).
  const getPdf = (who: TestUser, url: string) => as(t, tokens[who.username]!).get(url).set('Accept', 'application/pdf').responseType('blob');
  const getHtml = (who: TestUser, url: string) => as(t, tokens[who.username]!).get(url);
  const lastPrintAudit = async () =>
    (await ds.query(`SELECT actor, details FROM audit_log WHERE action = 'record.print' AND object_id = $1 ORDER BY id DESC LIMIT 1`, [record.id]))[0];

  beforeAll(async () => {
    t = await startTestApp({ HAVEN_CHROMIUM_PATH: process.env.HAVEN_CHROMIUM_PATH ?? '/usr/bin/chromium' });
    ds = t.app.get(DataSource);
    const c = await newPrintCase(t, ds, NAME);
    ({ owner, supervisor, partner, outsider, record, referralId } = c);
    Object.assign(tokens, c.tokens);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers the case summary as an A4 PDF of the same document, audited with the format', async () => {
    const res = await getPdf(owner, printUrl('template=case_summary&locale=en'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-disposition']).toMatch(/^inline; filename="case_summary-[^"]+\.pdf"$/);
    const bytes = res.body as Buffer;
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pdf = await readPdf(bytes);
    expect(pdf.pages).toBeGreaterThanOrEqual(1);
    // The same document: the HTML's <title> is the PDF's title.
    const html = await getHtml(owner, printUrl('template=case_summary&locale=en'));
    expect(html.text).toContain(`<title>${pdf.title}</title>`);
    expect(pdf.title).toBe(`Case summary — ${record.displayId}`);
    for (const text of ['Survivor Information', 'Action Plan', 'Safety Plan', 'Teacher', 'Female', NAME, PLAN, CONCERN, 'Psychosocial Service', owner.username]) {
      expect(pdf.text).toContain(text);
    }
    // A4 (595 × 842 points).
    const doc = await getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
    const [, , width, height] = (await doc.getPage(1)).view;
    await doc.destroy();
    expect([Math.round(width!), Math.round(height!)]).toEqual([595, 842]);

    const audits = await ds.query(`SELECT details FROM audit_log WHERE action = 'record.print' AND object_id = $1 ORDER BY id`, [record.id]);
    expect(audits.map((a: { details: { format: string } }) => a.details.format)).toEqual(['pdf', 'html']);
    expect(audits[0].details).toMatchObject({ format: 'pdf', template: 'case_summary', locale: 'en', forms: expect.arrayContaining(['gbv_survivor_information']) });
    expect(JSON.stringify(audits[0].details)).not.toContain('Zainab');
  });

  it('leaves out what the reader may not read: a supervisor’s PDF holds no identifying value', async () => {
    const res = await getPdf(supervisor, printUrl('template=case_summary&locale=en'));
    expect(res.status).toBe(200);
    const pdf = await readPdf(res.body as Buffer);
    expect(pdf.text).toContain('Teacher');
    for (const secret of ['Zainab', 'Qwertyuiop', PLAN, CONCERN]) expect(pdf.text).not.toContain(secret);
    expect(await lastPrintAudit()).toMatchObject({ actor: supervisor.username, details: { format: 'pdf' } });
  });

  it('prints Arabic right to left in the PDF', async () => {
    const res = await getPdf(owner, printUrl('template=case_summary&locale=ar'));
    expect(res.status).toBe(200);
    expect(res.headers['content-language']).toBe('ar');
    const pdf = await readPdf(res.body as Buffer);
    expect(pdf.title).toContain('ملخص الملف');
    const drawn = (text: string) => [...text].reverse().join('');
    expect(pdf.text).toContain(drawn('خطة العمل'));
    expect(pdf.text).toContain(NAME);
    // The title line (the one with the em dash) hugs the right margin in Arabic, the left one in English
    // (A4 is 595 points wide, the margins 14 mm ≈ 40 points).
    const titleLine = (p: PdfText) => {
      const dash = p.runs.find((r) => r.str.includes('—'));
      expect(dash).toBeDefined();
      const line = p.runs.filter((r) => Math.abs(r.y - dash!.y) < 1);
      return { left: Math.min(...line.map((r) => r.x)), right: Math.max(...line.map((r) => r.x + r.width)), text: line.map((r) => r.str).join('') };
    };
    const ar = titleLine(pdf);
    expect(ar.text).toContain(record.displayId);
    expect(ar.right).toBeGreaterThan(500);
    expect(ar.left).toBeGreaterThan(150);
    const en = titleLine(await readPdf((await getPdf(owner, printUrl('template=case_summary&locale=en'))).body as Buffer));
    expect(en.text).toContain('Case summary');
    expect(en.left).toBeLessThan(100);
    expect(en.right).toBeLessThan(450);
    const [arAudit] = await ds.query(
      `SELECT details FROM audit_log WHERE action = 'record.print' AND object_id = $1 AND details->>'locale' = 'ar' ORDER BY id DESC LIMIT 1`,
      [record.id],
    );
    expect(arAudit.details).toMatchObject({ format: 'pdf', template: 'case_summary' });
  });

  it('prints a referral letter PDF with only the forms the referral shares', async () => {
    const res = await getPdf(partner, printUrl(`template=referral_letter&referral=${referralId}`));
    expect(res.status).toBe(200);
    const pdf = await readPdf(res.body as Buffer);
    expect(pdf.text).toContain('Survivor Information');
    expect(pdf.text).toContain(NAME);
    expect(pdf.text).toContain('Health/Medical Service');
    for (const other of [PLAN, CONCERN, 'Action Plan', 'Safety Plan', 'Consent for Services']) expect(pdf.text).not.toContain(other);
  });

  it('answers 404 exactly like a missing record to someone who cannot read it, and audits nothing', async () => {
    const before = await lastPrintAudit();
    const denied = await getPdf(outsider, printUrl('template=case_summary'));
    const missing = await getPdf(outsider, printUrl('template=case_summary', randomUUID()));
    expect(denied.status).toBe(404);
    expect(denied.headers['content-type']).toMatch(/^application\/json/);
    const error = (res: Response) => ({ ...JSON.parse((res.body as Buffer).toString('utf8')).error, requestId: undefined });
    expect(error(denied)).toEqual(error(missing));
    expect(await lastPrintAudit()).toEqual(before);
  });

  it('follows the Accept header’s preference between HTML and PDF, and refuses other formats with a 406', async () => {
    const both = await getHtml(owner, printUrl('template=case_summary')).set('Accept', 'text/html, application/pdf;q=0.9');
    expect(both.headers['content-type']).toBe('text/html; charset=utf-8');
    const pdfFirst = await getPdf(owner, printUrl('template=case_summary')).set('Accept', 'application/pdf, text/html;q=0.5');
    expect(pdfFirst.headers['content-type']).toBe('application/pdf');
    const json = await getHtml(owner, printUrl('template=case_summary')).set('Accept', 'application/json');
    expect(json.status).toBe(406);
    expect(json.body.error).toMatchObject({ code: 'not_acceptable' });
  });
});
