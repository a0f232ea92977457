import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { buildAbility, compileBundles, loadBundles, type CompiledRecordType, type FieldInfo } from '../engine/index.js';
import { readConfigDir } from '../modules/config/bundle-files.js';
import { as, login, newAgency, newGroup, newUser } from './support/factories.js';
import { newRecord, type TestRecord } from './support/record-factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Bad input, table-driven: hundreds of hostile payloads against `POST /records/:recordType`, `PATCH
 * /records/:recordType/:id` and the list query, for GBV incidents, GBV cases and CP cases. Every case must be a 4xx
 * in the error shape whose `issues` list every problem, nothing may be stored (record, history and audit rows are
 * compared before and after), and nothing may be a 5xx.
 *
 * Part of the table is generated from the compiled configuration (every field × a value of the wrong type, every
 * text over its limit, every choice outside its options, every subform row field × a wrong type); the rest is
 * written by hand (envelopes, prototype keys, deep nesting, dates, numbers, NUL and unpaired surrogates, rows,
 * record types and modules). Expected issues are exact sets of `code@path`: written out, or, for generated cases
 * where the field also feeds rules or computed values, the engine's own answer for the same data (the "oracle":
 * then the test checks that the HTTP layer reports exactly what the engine found, no more, no less).
 */

const RECORDS = '/api/v1/records';

// ---- the compiled configuration the app activates (HAVEN_CONFIG_DIR defaults to ./configs) ---------------------------
const loaded = loadBundles((await readConfigDir(path.resolve('configs'))).map((b) => b.files));
if (!loaded.bundles) throw new Error('configs/ does not load');
const compiled = compileBundles(loaded.bundles);
const abilityOf = (role: string) => buildAbility(compiled, { id: 'u', username: 'u', agency: 'A', groups: [], roles: [role] });

interface Target {
  readonly label: string;
  readonly module: string;
  readonly recordType: string;
  readonly role: 'gbv_caseworker' | 'cp_caseworker';
  /** Valid data the generated cases change one field of. */
  readonly base: Record<string, unknown>;
}
const TARGETS: readonly Target[] = [
  { label: 'gbv incident', module: 'gbv', recordType: 'incident', role: 'gbv_caseworker', base: {} },
  { label: 'gbv case', module: 'gbv', recordType: 'case', role: 'gbv_caseworker', base: {} },
  { label: 'cp case', module: 'cp', recordType: 'case', role: 'cp_caseworker', base: { registration_date: '2025-01-02', sex: 'female' } },
];

/** A value of the wrong JSON type for each field type (the engine's normalisers leave these alone). */
const WRONG_TYPE: Record<string, unknown> = {
  text: 12345,
  textarea: true,
  number: 'abc',
  date: 20260101,
  date_range: 'last week',
  yes_no: 'maybe',
  tick_box: 'yes',
  radio: ['female'],
  select: 42,
  multi_select: 'a',
  location: 7,
  agency: 5,
  user: { id: 1 },
  tally: 'many',
  attachment: 'file.pdf',
  signature: 'signed',
  subform: { _id: 'r1' },
};

type IssuePair = string; // `code@path`
type Expect = { status: number; code?: string; issues?: IssuePair[] | 'any' };

interface Case {
  readonly name: string;
  readonly method: 'post' | 'patch' | 'get';
  /** Built once the records exist. */
  readonly url: (ctx: Ctx) => string;
  /** An object (sent as JSON) or a raw string (sent as is). */
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  readonly as?: 'gbv' | 'cp';
  readonly expect: Expect;
  /** True when `issues` was written out (not taken from the engine). */
  readonly exact?: boolean;
}

interface Ctx {
  gbvCase: TestRecord;
  gbvIncident: TestRecord;
  cpCase: TestRecord;
}

const ctxFor = (ctx: Ctx, t: Target): TestRecord => (t.module === 'cp' ? ctx.cpCase : t.recordType === 'case' ? ctx.gbvCase : ctx.gbvIncident);
const processCtx = () => {
  const now = new Date().toISOString();
  return { user: { id: 'u', agency: 'A', roles: [], groups: [] }, today: now.slice(0, 10), now };
};
const pair = (code: string, p: string) => `${code}@${p}`;

/** What the engine reports for `data`, as issues of the request body. */
function oracle(rt: CompiledRecordType, data: Record<string, unknown>): IssuePair[] {
  return rt.process(data, processCtx()).issues.map((i) => pair(i.code, `/data${i.path}`));
}

/** `declared` when the engine agrees exactly; otherwise the engine's set (which must contain `declared`). */
function expected(rt: CompiledRecordType, data: Record<string, unknown>, declared: IssuePair[]): { issues: IssuePair[]; exact: boolean } {
  // Attachment metadata is refused before the engine looks at it (only the attachments routes write it).
  if (declared.length > 0 && declared.every((d) => d.startsWith('attachment_not_writable@'))) return { issues: declared, exact: true };
  const engine = oracle(rt, data);
  const same = engine.length === declared.length && declared.every((d) => engine.includes(d));
  if (same) return { issues: declared, exact: true };
  if (!declared.every((d) => engine.includes(d))) throw new Error(`generator: ${JSON.stringify(declared)} not in ${JSON.stringify(engine)}`);
  return { issues: engine, exact: false };
}

const writableTop = (t: Target, rt: CompiledRecordType): FieldInfo[] => {
  const writable = abilityOf(t.role).writableFields(t.module, t.recordType);
  return rt.fields.filter((f) => f.subform === undefined && f.stored && !f.computed && !f.readOnly && writable.has(f.key));
};

// ---- generated cases --------------------------------------------------------------------------------------------------
function generated(): Case[] {
  const cases: Case[] = [];
  for (const t of TARGETS) {
    const rt = compiled.recordType(t.module, t.recordType);
    const who = t.module === 'cp' ? 'cp' : 'gbv';
    const create = (name: string, data: Record<string, unknown>, declared: IssuePair[]) => {
      const e = expected(rt, data, declared);
      cases.push({ name: `${t.label} create: ${name}`, method: 'post', url: () => `${RECORDS}/${t.recordType}`, body: { module: t.module, data }, as: who, expect: { status: 400, code: 'validation_failed', issues: e.issues }, exact: e.exact });
    };
    const patch = (name: string, data: Record<string, unknown>, declared: IssuePair[]) => {
      // A patch is merged onto the stored (valid) base: the engine sees base + patch.
      const e = expected(rt, { ...t.base, ...data }, declared);
      cases.push({ name: `${t.label} patch: ${name}`, method: 'patch', url: (ctx) => `${RECORDS}/${t.recordType}/${ctxFor(ctx, t).id}`, body: { version: 1, data }, as: who, expect: { status: 400, code: 'validation_failed', issues: e.issues }, exact: e.exact });
    };
    for (const f of writableTop(t, rt)) {
      const wrong = WRONG_TYPE[f.type];
      if (wrong === undefined) throw new Error(`no wrong-type value for field type ${f.type}`);
      // Attachment metadata is written only by the attachments routes: refused whatever its shape.
      const code = f.type === 'attachment' ? 'attachment_not_writable' : 'invalid_type';
      create(`${f.key} (${f.type}) of the wrong type`, { ...t.base, [f.key]: wrong }, [pair(code, `/data/${f.key}`)]);
      if (t.recordType === 'case') patch(`${f.key} (${f.type}) of the wrong type`, { [f.key]: wrong }, [pair(code, `/data/${f.key}`)]);
      if (f.type === 'text' || f.type === 'textarea') {
        const max = (f.definition as { maxLength?: number }).maxLength ?? (f.type === 'text' ? 1000 : 20_000);
        if (max < 400_000) create(`${f.key} (${f.type}) over ${max} characters`, { ...t.base, [f.key]: 'x'.repeat(max + 1) }, [pair('too_long', `/data/${f.key}`)]);
      }
      if (f.type === 'select' || f.type === 'radio') create(`${f.key} (${f.type}) outside its options`, { ...t.base, [f.key]: 'zz_not_an_option' }, [pair('not_an_option', `/data/${f.key}`)]);
      if (f.type === 'multi_select') create(`${f.key} (multi_select) outside its options`, { ...t.base, [f.key]: ['zz_not_an_option'] }, [pair('not_an_option', `/data/${f.key}/0`)]);
    }
    for (const sub of rt.subforms) {
      if (!writableTop(t, rt).some((f) => f.key === sub.key)) continue;
      for (const child of sub.fields) {
        if (!child.stored || child.computed || child.readOnly) continue;
        const wrong = WRONG_TYPE[child.type];
        if (wrong === undefined) throw new Error(`no wrong-type value for field type ${child.type}`);
        const code = child.type === 'attachment' ? 'attachment_not_writable' : 'invalid_type';
        create(`${sub.key}/0/${child.key} (${child.type}) of the wrong type`, { ...t.base, [sub.key]: [{ _id: 'row-1', [child.key]: wrong }] }, [pair(code, `/data/${sub.key}/0/${child.key}`)]);
      }
    }
  }
  return cases;
}

// ---- hand-written cases -------------------------------------------------------------------------------------------------
const deepArray = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

function handWritten(): Case[] {
  const cases: Case[] = [];
  const gbvCase = (name: string, body: unknown, issues: IssuePair[] | 'any', status = 400, code: string | undefined = 'validation_failed') =>
    cases.push({ name: `gbv case create: ${name}`, method: 'post', url: () => `${RECORDS}/case`, body, as: 'gbv', expect: { status, code, issues }, exact: issues !== 'any' });
  const gbvCaseData = (name: string, data: Record<string, unknown>, issues: IssuePair[] | 'any') => gbvCase(name, { module: 'gbv', data }, issues);
  const raw = (name: string, url: string, text: string, issues: IssuePair[] | 'any', status = 400, code: string | undefined = 'validation_failed', who: 'gbv' | 'cp' = 'gbv') =>
    cases.push({ name, method: 'post', url: () => url, raw: text, as: who, expect: { status, code, issues }, exact: issues !== 'any' });
  const rawPatch = (name: string, text: string, issues: IssuePair[] | 'any') =>
    cases.push({ name: `gbv case patch: ${name}`, method: 'patch', url: (ctx) => `${RECORDS}/case/${ctx.gbvCase.id}`, raw: text, as: 'gbv', expect: { status: 400, code: 'validation_failed', issues }, exact: issues !== 'any' });
  const patch = (name: string, body: unknown, expect: Expect, headers?: Record<string, string>, url?: (ctx: Ctx) => string) =>
    cases.push({ name: `gbv case patch: ${name}`, method: 'patch', url: url ?? ((ctx) => `${RECORDS}/case/${ctx.gbvCase.id}`), body, headers, as: 'gbv', expect, exact: Array.isArray(expect.issues) });

  // -- envelopes
  gbvCase('body is an array', [{ module: 'gbv', data: {} }], ['invalid_type@', 'required@/data']);
  raw('gbv case create: body is a JSON string', `${RECORDS}/case`, '"gbv"', ['malformed_json@'], 400, 'malformed_json');
  raw('gbv case create: body is null', `${RECORDS}/case`, 'null', ['malformed_json@'], 400, 'malformed_json');
  raw('gbv case create: body is a number', `${RECORDS}/case`, '5', ['malformed_json@'], 400, 'malformed_json');
  raw('gbv case create: body is truncated JSON', `${RECORDS}/case`, '{"module":"gbv","data":{', ['malformed_json@'], 400, 'malformed_json');
  raw('gbv case create: body is JavaScript, not JSON', `${RECORDS}/case`, "{module:'gbv',data:{}}", ['malformed_json@'], 400, 'malformed_json');
  raw('gbv case create: NaN in JSON', `${RECORDS}/case`, '{"module":"gbv","data":{"age":NaN}}', ['malformed_json@'], 400, 'malformed_json');
  gbvCase('missing data', { module: 'gbv' }, ['required@/data']);
  gbvCase('data null', { module: 'gbv', data: null }, ['required@/data']);
  gbvCase('data an array', { module: 'gbv', data: [] }, ['invalid_type@/data']);
  gbvCase('data an array of objects', { module: 'gbv', data: [{ age: 1 }] }, ['invalid_type@/data']);
  gbvCase('data a string', { module: 'gbv', data: 'age=1' }, ['invalid_type@/data']);
  gbvCase('data a number', { module: 'gbv', data: 5 }, ['invalid_type@/data']);
  gbvCase('data a boolean', { module: 'gbv', data: true }, ['invalid_type@/data']);
  gbvCase('an extra top-level property', { module: 'gbv', data: {}, owner: 'me' }, ['unknown_field@/owner']);
  gbvCase('several extra top-level properties', { module: 'gbv', data: {}, id: randomUUID(), version: 1, createdAt: '2020-01-01' }, ['unknown_field@/id', 'unknown_field@/version', 'unknown_field@/createdAt']);
  gbvCase('an extra property and a missing data', { module: 'gbv', status: 'closed' }, ['unknown_field@/status', 'required@/data']);
  raw('gbv case create: __proto__ at the top level', `${RECORDS}/case`, '{"module":"gbv","data":{},"__proto__":{"polluted":true}}', ['unknown_field@/__proto__']);
  raw('gbv case create: constructor at the top level', `${RECORDS}/case`, '{"module":"gbv","data":{},"constructor":{"prototype":{"polluted":true}}}', ['unknown_field@/constructor']);
  raw('gbv case create: prototype at the top level', `${RECORDS}/case`, '{"module":"gbv","data":{},"prototype":{"polluted":true}}', ['unknown_field@/prototype']);
  gbvCase('module a number', { module: 5, data: {} }, ['invalid_type@/module']);
  gbvCase('module empty', { module: '', data: {} }, ['invalid_type@/module']);
  gbvCase('module too long', { module: 'g'.repeat(65), data: {} }, ['invalid_type@/module']);
  gbvCase('module an array', { module: ['gbv'], data: {} }, ['invalid_type@/module']);
  gbvCase('module an object', { module: { key: 'gbv' }, data: {} }, ['invalid_type@/module']);
  gbvCase('module and data both wrong', { module: 1, data: 1 }, ['invalid_type@/module', 'invalid_type@/data']);
  gbvCase('an unknown module', { module: 'nope', data: {} }, [], 404, 'not_found');
  gbvCase('missing module where several modules define the type', { data: {} }, ['required@/module']);
  gbvCase('a module the caller cannot see (cp)', { module: 'cp', data: {} }, [], 404, 'not_found');
  cases.push({ name: 'gbv incident create: the wrong module', method: 'post', url: () => `${RECORDS}/incident`, body: { module: 'cp', data: {} }, as: 'gbv', expect: { status: 404, code: 'not_found', issues: [] }, exact: true });
  cases.push({ name: 'create: record type case%00 (a NUL in the path)', method: 'post', url: () => `${RECORDS}/case%00`, body: { module: 'gbv', data: {} }, as: 'gbv', expect: { status: 400, code: 'validation_failed', issues: ['invalid_character@'] }, exact: true });
  for (const recordType of ['nope', '__proto__', 'constructor', 'prototype', 'CASE', 'tracing_request', 'hasOwnProperty', '..', '%2e%2e']) {
    cases.push({ name: `create: record type ${recordType}`, method: 'post', url: () => `${RECORDS}/${recordType}`, body: { module: 'gbv', data: {} }, as: 'gbv', expect: { status: 404, code: 'not_found' } });
  }
  cases.push({ name: 'gbv case create: text/plain body', method: 'post', url: () => `${RECORDS}/case`, raw: '{"module":"gbv","data":{}}', headers: { 'Content-Type': 'text/plain' }, as: 'gbv', expect: { status: 415, code: 'unsupported_media_type' } });
  cases.push({ name: 'gbv case create: form-urlencoded body', method: 'post', url: () => `${RECORDS}/case`, raw: 'module=gbv&data[age]=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, as: 'gbv', expect: { status: 415, code: 'unsupported_media_type' } });
  cases.push({ name: 'gbv case create: a body over the 1 MiB limit', method: 'post', url: () => `${RECORDS}/case`, body: { module: 'gbv', data: { name: 'x'.repeat(1024 * 1024 + 10) } }, as: 'gbv', expect: { status: 413, code: 'payload_too_large' } });

  // -- unknown fields, wrong record types, wrong modules
  gbvCaseData('an unknown field', { nope: 1 }, ['unknown_field@/data/nope']);
  gbvCaseData('every problem at once', { nope: 1, age: 'old', sex: 5, date_of_birth: 'yesterday', survivor_code_no: ['x'] }, [
    'unknown_field@/data/nope',
    'invalid_type@/data/age',
    'invalid_type@/data/sex',
    'invalid_date@/data/date_of_birth',
    'invalid_type@/data/survivor_code_no',
    // The bundle's age rule cannot hold for an age that is not a number: reported too.
    'rule_failed@/data/age',
  ]);
  gbvCaseData('incident fields in a case (wrong record type)', { incident_date: '2025-01-01', incident_location: 'XX01' }, ['unknown_field@/data/incident_date', 'unknown_field@/data/incident_location']);
  gbvCaseData('CP fields in a GBV case (wrong module)', { registration_date: '2025-01-01', name_first: 'A' }, ['unknown_field@/data/registration_date', 'unknown_field@/data/name_first']);
  gbvCaseData('a key with a slash and a tilde (escaped pointer)', { 'a/b~c': 1 }, ['unknown_field@/data/a~1b~0c']);
  gbvCaseData('an empty key', { '': 1 }, ['unknown_field@/data/']);
  gbvCaseData('a subform path as a key', { 'action_plan_section.service_type': 'x' }, ['unknown_field@/data/action_plan_section.service_type']);
  gbvCaseData('5,000 unknown fields', Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`junk_${i}`, i])), Array.from({ length: 5000 }, (_, i) => `unknown_field@/data/junk_${i}`));

  // -- prototype keys at every level
  raw('gbv case create: __proto__ in data', `${RECORDS}/case`, '{"module":"gbv","data":{"__proto__":{"age":1}}}', ['unknown_field@/data/__proto__']);
  raw('gbv case create: constructor in data', `${RECORDS}/case`, '{"module":"gbv","data":{"constructor":{"prototype":{"age":1}}}}', ['unknown_field@/data/constructor']);
  raw('gbv case create: prototype in data', `${RECORDS}/case`, '{"module":"gbv","data":{"prototype":1}}', ['unknown_field@/data/prototype']);
  raw('gbv case create: __proto__ inside a value', `${RECORDS}/case`, '{"module":"gbv","data":{"sex":{"__proto__":{"x":1}}}}', ['invalid_type@/data/sex']);
  raw('gbv case create: __proto__ inside a subform row', `${RECORDS}/case`, '{"module":"gbv","data":{"action_plan_section":[{"_id":"r1","__proto__":{"x":1}}]}}', ['unknown_field@/data/action_plan_section/0/__proto__']);
  raw('gbv case create: constructor inside a subform row', `${RECORDS}/case`, '{"module":"gbv","data":{"action_plan_section":[{"_id":"r1","constructor":1}]}}', ['unknown_field@/data/action_plan_section/0/constructor']);
  raw('gbv case create: prototype inside a subform row', `${RECORDS}/case`, '{"module":"gbv","data":{"action_plan_section":[{"_id":"r1","prototype":1}]}}', ['unknown_field@/data/action_plan_section/0/prototype']);
  raw('gbv case create: __proto__ inside an attachment', `${RECORDS}/case`, '{"module":"gbv","data":{"other_documents":[{"id":"a","fileName":"a.pdf","contentType":"application/pdf","size":1,"__proto__":{"x":1}}]}}', ['attachment_not_writable@/data/other_documents']);
  raw('gbv case create: __proto__ as a multi-select value', `${RECORDS}/case`, `{"module":"gbv","data":{"${multiSelect('gbv', 'case')}":["__proto__"]}}`, [`not_an_option@/data/${multiSelect('gbv', 'case')}/0`]);
  raw('gbv case create: __proto__ at every level', `${RECORDS}/case`, '{"__proto__":{"a":1},"module":"gbv","data":{"__proto__":{"a":1},"constructor":{"a":1},"action_plan_section":[{"_id":"r1","__proto__":{"a":1}}]}}', ['unknown_field@/__proto__']);
  raw('gbv case create: __proto__ at every level of data', `${RECORDS}/case`, '{"module":"gbv","data":{"__proto__":{"a":1},"constructor":{"a":1},"prototype":{"a":1},"action_plan_section":[{"_id":"r1","__proto__":{"a":1},"constructor":2}]}}', [
    'unknown_field@/data/__proto__',
    'unknown_field@/data/constructor',
    'unknown_field@/data/prototype',
    'unknown_field@/data/action_plan_section/0/__proto__',
    'unknown_field@/data/action_plan_section/0/constructor',
  ]);

  // -- deep nesting (the body limit is 1 MiB: 10,000 and 100,000 levels fit)
  raw('gbv case create: a 10,000-deep array in a text field', `${RECORDS}/case`, `{"module":"gbv","data":{"survivor_code_no":${deepArray(10_000)}}}`, ['invalid_type@/data/survivor_code_no']);
  raw('gbv case create: a 100,000-deep array in a number field', `${RECORDS}/case`, `{"module":"gbv","data":{"age":${deepArray(100_000)}}}`, ['invalid_type@/data/age', 'rule_error@/data/survivor_is_minor']);
  raw('gbv case create: a 10,000-deep object in a select field', `${RECORDS}/case`, `{"module":"gbv","data":{"sex":${deepObject(10_000)}}}`, ['invalid_type@/data/sex']);
  raw('gbv case create: a 10,000-deep object in a date field', `${RECORDS}/case`, `{"module":"gbv","data":{"date_of_birth":${deepObject(10_000)}}}`, ['invalid_type@/data/date_of_birth']);
  raw('gbv case create: a 10,000-deep array as a multi-select', `${RECORDS}/case`, `{"module":"gbv","data":{"${multiSelect('gbv', 'case')}":${deepArray(10_000)}}}`, [`invalid_type@/data/${multiSelect('gbv', 'case')}/0`]);
  raw('gbv case create: a 10,000-deep array as subform rows', `${RECORDS}/case`, `{"module":"gbv","data":{"action_plan_section":${deepArray(10_000)}}}`, ['invalid_type@/data/action_plan_section/0']);
  raw('gbv case create: a 10,000-deep object in a subform row field', `${RECORDS}/case`, `{"module":"gbv","data":{"action_plan_section":[{"_id":"r1","service_provider":${deepObject(10_000)}}]}}`, ['invalid_type@/data/action_plan_section/0/service_provider']);
  raw('gbv case create: a 10,000-deep object in an attachment', `${RECORDS}/case`, `{"module":"gbv","data":{"other_documents":[${deepObject(10_000)}]}}`, 'any');
  raw('gbv case create: a 10,000-deep array in an unknown field', `${RECORDS}/case`, `{"module":"gbv","data":{"junk":${deepArray(10_000)}}}`, ['unknown_field@/data/junk']);
  raw('gbv case create: a 10,000-deep array as data', `${RECORDS}/case`, `{"module":"gbv","data":${deepArray(10_000)}}`, ['invalid_type@/data']);
  raw('gbv case create: a 10,000-deep array as the body', `${RECORDS}/case`, deepArray(10_000), ['invalid_type@', 'required@/data']);
  raw('gbv case create: a 10,000-deep object as an extra property', `${RECORDS}/case`, `{"module":"gbv","data":{},"junk":${deepObject(10_000)}}`, ['unknown_field@/junk']);
  raw('gbv case create: a 10,000-deep object as the module', `${RECORDS}/case`, `{"module":${deepObject(10_000)},"data":{}}`, ['invalid_type@/module']);
  raw('gbv case create: deep junk in every field at once', `${RECORDS}/case`, `{"module":"gbv","data":{"age":${deepArray(5000)},"sex":${deepObject(5000)},"survivor_code_no":${deepArray(5000)}}}`, [
    'invalid_type@/data/age',
    'invalid_type@/data/sex',
    'invalid_type@/data/survivor_code_no',
    // survivor_is_minor is computed from the age: an array cannot be compared with 18.
    'rule_error@/data/survivor_is_minor',
  ]);

  // -- dates (date_of_birth: notInFuture; the cp registration date is required)
  const dates: Array<[string, unknown, string]> = [
    ['30 February', '2026-02-30', 'invalid_date'],
    ['month 13', '2026-13-01', 'invalid_date'],
    ['29 February of a common year', '2025-02-29', 'invalid_date'],
    ['day 0', '2025-01-00', 'invalid_date'],
    ['year 0000', '0000-00-00', 'invalid_date'],
    ['a word', 'yesterday', 'invalid_date'],
    ['a day-first date', '01/02/2025', 'invalid_date'],
    ['no leading zeros', '2025-1-1', 'invalid_date'],
    ['a date-time', '2025-01-01T00:00:00Z', 'invalid_date'],
    ['a six-digit year', '+275760-09-13', 'invalid_date'],
    ['a number (1e20)', 1e20, 'invalid_type'],
    ['a timestamp', 1735689600000, 'invalid_type'],
    ['true', true, 'invalid_type'],
    ['an object', { year: 2025 }, 'invalid_type'],
    ['an array', ['2025-01-01'], 'invalid_type'],
    ['the far future (not in future)', '9999-12-31', 'date_in_future'],
  ];
  for (const [name, value, code] of dates) gbvCaseData(`date_of_birth: ${name}`, { date_of_birth: value }, [`${code}@/data/date_of_birth`]);
  cases.push({ name: 'cp case create: required date empty', method: 'post', url: () => `${RECORDS}/case`, body: { module: 'cp', data: { registration_date: '', sex: 'female' } }, as: 'cp', expect: { status: 400, code: 'validation_failed', issues: ['required@/data/registration_date'] }, exact: true });
  cases.push({ name: 'cp case create: required date blank', method: 'post', url: () => `${RECORDS}/case`, body: { module: 'cp', data: { registration_date: '   ', sex: 'female' } }, as: 'cp', expect: { status: 400, code: 'validation_failed', issues: ['required@/data/registration_date'] }, exact: true });
  cases.push({ name: 'cp case create: required fields missing', method: 'post', url: () => `${RECORDS}/case`, body: { module: 'cp', data: {} }, as: 'cp', expect: { status: 400, code: 'validation_failed', issues: ['required@/data/registration_date', 'required@/data/sex'] }, exact: true });
  cases.push({ name: 'cp case create: required date invalid', method: 'post', url: () => `${RECORDS}/case`, body: { module: 'cp', data: { registration_date: '2026-02-30', sex: 'female' } }, as: 'cp', expect: { status: 400, code: 'validation_failed', issues: ['invalid_date@/data/registration_date'] }, exact: true });

  // -- numbers (age: integer 0..130)
  const numbers: Array<[string, unknown, string]> = [
    ['a word', 'old', 'invalid_type'],
    ['digits and letters', '12abc', 'invalid_type'],
    ['"NaN"', 'NaN', 'invalid_type'],
    ['"Infinity"', 'Infinity', 'invalid_type'],
    ['"-Infinity"', '-Infinity', 'invalid_type'],
    ['hexadecimal', '0x10', 'invalid_type'],
    ['binary', '0b101', 'invalid_type'],
    ['octal', '0o17', 'invalid_type'],
    ['with an underscore', '1_000', 'invalid_type'],
    ['with a decimal comma', '1,5', 'invalid_type'],
    ['"1e400" (overflows)', '1e400', 'invalid_type'],
    ['a fraction for an integer', 1.5, 'invalid_type'],
    ['a fraction as text', '1.5', 'invalid_type'],
    ['below its minimum', -1, 'too_small'],
    ['above its maximum', 131, 'too_large'],
    ['huge', 1e300, 'too_large'],
    ['true', true, 'invalid_type'],
    ['an array', [16], 'invalid_type'],
    ['an object', { value: 16 }, 'invalid_type'],
  ];
  for (const [name, value, code] of numbers) gbvCaseData(`age: ${name}`, { age: value }, [`${code}@/data/age`]);
  raw('gbv case create: age 1e400 (a JSON number beyond double)', `${RECORDS}/case`, '{"module":"gbv","data":{"age":1e400}}', ['invalid_type@/data/age']);
  raw('gbv case create: age -1e400', `${RECORDS}/case`, '{"module":"gbv","data":{"age":-1e400}}', ['invalid_type@/data/age']);
  raw('gbv case create: age beyond safe integers', `${RECORDS}/case`, '{"module":"gbv","data":{"age":9007199254740993}}', ['too_large@/data/age']);

  // -- booleans and choices
  const yesNo = fieldOfType('gbv', 'case', 'yes_no');
  for (const value of ['yes', 'no', 1, 0, 'on', [true], { value: true }]) gbvCaseData(`${yesNo} (yes_no): ${JSON.stringify(value)}`, { [yesNo]: value }, [`invalid_type@/data/${yesNo}`]);
  const multi = multiSelect('gbv', 'case');
  const option = compiled.recordType('gbv', 'case').field(multi)?.options?.[0] as string;
  gbvCaseData(`${multi}: the same option twice`, { [multi]: [option, option] }, [`not_unique@/data/${multi}`]);
  gbvCaseData(`${multi}: an option and a number`, { [multi]: [option, 5] }, [`invalid_type@/data/${multi}/1`]);
  gbvCaseData('sex: an option in the wrong case', { sex: 'FEMALE' }, ['not_an_option@/data/sex']);
  gbvCaseData('sex: an option with a NUL (no option has one)', { sex: 'female\u0000' }, ['not_an_option@/data/sex']);

  // -- NUL bytes, unpaired surrogates (refused: PostgreSQL cannot store them)
  gbvCaseData('a NUL in a text field', { survivor_code_no: 'A\u0000B' }, ['invalid_character@/data/survivor_code_no']);
  gbvCaseData('only a NUL in a text field', { survivor_code_no: '\u0000' }, ['invalid_character@/data/survivor_code_no']);
  gbvCaseData('NULs in two fields', { survivor_code_no: '\u0000', name: 'x\u0000' }, ['invalid_character@/data/survivor_code_no', 'invalid_character@/data/name']);
  gbvCaseData('a NUL in a subform row field', { action_plan_section: [{ _id: 'r1', service_provider: 'P\u0000' }] }, ['invalid_character@/data/action_plan_section/0/service_provider']);
  gbvCaseData('a NUL in a row id (not an id)', { action_plan_section: [{ _id: 'r\u0000' }] }, ['invalid_format@/data/action_plan_section/0/_id']);
  gbvCaseData('a NUL in an unknown key', { 'a\u0000b': 1 }, ['unknown_field@/data/a\u0000b']);
  gbvCaseData('a NUL in attachment metadata', { other_documents: [{ id: 'a', fileName: 'a\u0000.pdf', contentType: 'application/pdf', size: 1 }] }, ['attachment_not_writable@/data/other_documents']);
  gbvCaseData('a NUL in a signature', { [fieldOfType('gbv', 'case', 'signature')]: { attachmentId: 'a', providedBy: 'x\u0000', signedAt: '2025-01-01T00:00:00Z' } }, [`invalid_character@/data/${fieldOfType('gbv', 'case', 'signature')}/providedBy`]);
  raw('gbv case create: an unpaired high surrogate', `${RECORDS}/case`, '{"module":"gbv","data":{"survivor_code_no":"A\\ud800"}}', ['invalid_character@/data/survivor_code_no']);
  raw('gbv case create: an unpaired low surrogate', `${RECORDS}/case`, '{"module":"gbv","data":{"name":"\\udc00x"}}', ['invalid_character@/data/name']);
  raw('gbv case create: a NUL escape in the module', `${RECORDS}/case`, '{"module":"gbv\\u0000","data":{}}', ['invalid_character@/module']);
  raw('gbv case create: an unpaired surrogate in the module', `${RECORDS}/case`, '{"module":"gbv\\ud800","data":{}}', ['invalid_character@/module']);
  gbvCaseData('a NUL in a text over its limit', { survivor_code_no: `${'x'.repeat(1000)}\u0000` }, ['invalid_character@/data/survivor_code_no', 'too_long@/data/survivor_code_no']);

  // -- subform rows
  gbvCaseData('rows not an array', { action_plan_section: { _id: 'r1' } }, ['invalid_type@/data/action_plan_section']);
  gbvCaseData('a row that is null', { action_plan_section: [null] }, ['invalid_type@/data/action_plan_section/0']);
  gbvCaseData('a row that is a string', { action_plan_section: ['row'] }, ['invalid_type@/data/action_plan_section/0']);
  gbvCaseData('a row that is an array', { action_plan_section: [[{ _id: 'r1' }]] }, ['invalid_type@/data/action_plan_section/0']);
  // The engine names the repeated rows (/2/_id; /1/_id and /2/_id); the write path maps row issues to the first row of
  // the body carrying the same _id, so only the codes are compared here.
  gbvCaseData('rows with the same _id', { action_plan_section: [{ _id: 'r1' }, { _id: 'r2' }, { _id: 'r1' }] }, ['not_unique@/data/action_plan_section/?/_id']);
  gbvCaseData('three rows with one _id', { action_plan_section: [{ _id: 'r1' }, { _id: 'r1' }, { _id: 'r1' }] }, ['not_unique@/data/action_plan_section/?/_id', 'not_unique@/data/action_plan_section/?/_id']);
  gbvCaseData('a row _id that is a number', { action_plan_section: [{ _id: 5 }] }, ['invalid_type@/data/action_plan_section/0/_id']);
  gbvCaseData('a row _id that is empty', { action_plan_section: [{ _id: '' }] }, ['invalid_format@/data/action_plan_section/0/_id']);
  gbvCaseData('a row _id with a space', { action_plan_section: [{ _id: 'r 1' }] }, ['invalid_format@/data/action_plan_section/0/_id']);
  gbvCaseData('a row _id over 100 characters', { action_plan_section: [{ _id: 'r'.repeat(101) }] }, ['invalid_format@/data/action_plan_section/0/_id']);
  gbvCaseData('a row _id that is an object', { action_plan_section: [{ _id: { id: 'r1' } }] }, ['invalid_type@/data/action_plan_section/0/_id']);
  gbvCaseData('an unknown key in a row', { action_plan_section: [{ _id: 'r1', nope: 1 }] }, ['unknown_field@/data/action_plan_section/0/nope']);
  gbvCaseData('a removal marker in a create', { action_plan_section: [{ _id: 'r1', _removed: true }] }, 'any');

  // -- attachments and signatures as JSON. Attachment metadata is written only by the attachments routes: any shape
  // sent through a create or PATCH is refused at the field (the engine's checks of it run on the upload path).
  const refusedAttachment = ['attachment_not_writable@/data/other_documents'];
  gbvCaseData('attachment metadata without its required parts', { other_documents: [{ id: 'a' }] }, refusedAttachment);
  gbvCaseData('attachment metadata of a disallowed kind', { other_documents: [{ id: 'a', fileName: 'a.mp3', contentType: 'audio/mpeg', size: 1 }] }, refusedAttachment);
  gbvCaseData('attachment metadata: a list in a list', { other_documents: [[{ id: 'a', fileName: 'a.pdf', contentType: 'application/pdf', size: 1 }]] }, refusedAttachment);
  gbvCaseData('attachment metadata: a negative size and a bad type', { other_documents: [{ id: 'a', fileName: 'a.pdf', contentType: 'pdf', size: -1 }] }, refusedAttachment);
  gbvCaseData('attachment metadata an object, not a list', { other_documents: { id: 'a', fileName: 'a.pdf', contentType: 'application/pdf', size: 1 } }, refusedAttachment);
  gbvCaseData('well-formed attachment metadata (not uploaded)', { other_documents: [{ id: 'a', fileName: 'a.pdf', contentType: 'application/pdf', size: 1 }] }, refusedAttachment);
  const signature = fieldOfType('gbv', 'case', 'signature');
  gbvCaseData('a signature without its parts', { [signature]: {} }, [`required@/data/${signature}/attachmentId`, `required@/data/${signature}/providedBy`, `required@/data/${signature}/signedAt`]);
  gbvCaseData('a signature that is an array', { [signature]: [] }, [`invalid_type@/data/${signature}`]);

  // -- other record types
  cases.push({ name: 'gbv incident create: an unknown location', method: 'post', url: () => `${RECORDS}/incident`, body: { data: { incident_location: 'NOWHERE' } }, as: 'gbv', expect: { status: 400, code: 'validation_failed', issues: ['unknown_location@/data/incident_location'] }, exact: true });
  cases.push({ name: 'gbv incident create: case fields in an incident', method: 'post', url: () => `${RECORDS}/incident`, body: { data: { survivor_code_no: 'x', gbv_religion: 'islam' } }, as: 'gbv', expect: { status: 400, code: 'validation_failed', issues: ['unknown_field@/data/survivor_code_no', 'unknown_field@/data/gbv_religion'] }, exact: true });
  cases.push({ name: 'gbv incident create: a perpetrator row with every problem', method: 'post', url: () => `${RECORDS}/incident`, body: { data: { alleged_perpetrator: [{ _id: 'p1', perpetrator_sex: 'robot', former_perpetrator: 'yes', nope: 1 }, { _id: 'p1' }] } }, as: 'gbv', expect: { status: 400, code: 'validation_failed', issues: 'any' } });
  cases.push({ name: 'cp case create: a GBV module for a CP record', method: 'post', url: () => `${RECORDS}/case`, body: { module: 'gbv', data: { registration_date: '2025-01-02', sex: 'female' } }, as: 'cp', expect: { status: 404, code: 'not_found' } });

  // -- PATCH envelopes and merges
  patch('no version', { data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['required@/version'] });
  patch('version null', { version: null, data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['required@/version'] });
  patch('version a string', { version: '1', data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['invalid_type@/version'] });
  patch('version 0', { version: 0, data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['invalid_type@/version'] });
  patch('version negative', { version: -1, data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['invalid_type@/version'] });
  patch('version a fraction', { version: 1.5, data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['invalid_type@/version'] });
  patch('version huge', { version: 1e12, data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['invalid_type@/version'] });
  patch('version an array', { version: [1], data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['invalid_type@/version'] });
  patch('version ahead of the record', { version: 99, data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['unknown_version@/version'] });
  patch('a malformed If-Match', { data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['invalid_format@/version'] }, { 'If-Match': 'abc' });
  patch('If-Match and version disagree', { version: 1, data: { age: 1 } }, { status: 400, code: 'validation_failed', issues: ['version_mismatch@/version'] }, { 'If-Match': '"2"' });
  patch('no data', { version: 1 }, { status: 400, code: 'validation_failed', issues: ['required@/data'] });
  patch('data an array', { version: 1, data: [] }, { status: 400, code: 'validation_failed', issues: ['invalid_type@/data'] });
  patch('data a string', { version: 1, data: 'age=1' }, { status: 400, code: 'validation_failed', issues: ['invalid_type@/data'] });
  patch('an extra top-level property', { version: 1, data: {}, module: 'gbv' }, { status: 400, code: 'validation_failed', issues: ['unknown_field@/module'] });
  patch('everything wrong in the envelope', { version: 'x', data: 1, owner: 'me' }, { status: 400, code: 'validation_failed', issues: ['unknown_field@/owner', 'invalid_type@/data', 'invalid_type@/version'] });
  patch('the body is an array', [{ version: 1, data: {} }], { status: 400, code: 'validation_failed', issues: ['invalid_type@', 'required@/data', 'required@/version'] });
  patch('an unknown field and a wrong type', { version: 1, data: { nope: 1, age: 'x' } }, { status: 400, code: 'validation_failed', issues: ['unknown_field@/data/nope', 'invalid_type@/data/age'] });
  patch('a NUL in a text field', { version: 1, data: { survivor_code_no: '\u0000' } }, { status: 400, code: 'validation_failed', issues: ['invalid_character@/data/survivor_code_no'] });
  patch('rows with the same _id', { version: 1, data: { action_plan_section: [{ _id: 'r1' }, { _id: 'r1' }] } }, { status: 400, code: 'validation_failed', issues: 'any' });
  patch('a row _id that is a number', { version: 1, data: { action_plan_section: [{ _id: 7 }] } }, { status: 400, code: 'validation_failed', issues: 'any' });
  patch('a row that is not an object', { version: 1, data: { action_plan_section: ['x'] } }, { status: 400, code: 'validation_failed', issues: 'any' });
  patch('rows not an array', { version: 1, data: { action_plan_section: 'x' } }, { status: 400, code: 'validation_failed', issues: 'any' });
  patch('a missing record', { version: 1, data: { age: 1 } }, { status: 404, code: 'not_found' }, undefined, () => `${RECORDS}/case/${randomUUID()}`);
  patch('an id that is not a uuid', { version: 1, data: { age: 1 } }, { status: 404, code: 'not_found' }, undefined, () => `${RECORDS}/case/1%20OR%201=1`);
  patch('the wrong record type for the id', { version: 1, data: { age: 1 } }, { status: 404, code: 'not_found' }, undefined, (ctx) => `${RECORDS}/incident/${ctx.gbvCase.id}`);
  patch('a record of a module the caller cannot see', { version: 1, data: { age: 1 } }, { status: 404, code: 'not_found' }, undefined, (ctx) => `${RECORDS}/case/${ctx.cpCase.id}`);
  rawPatch('__proto__ in data', '{"version":1,"data":{"__proto__":{"age":1}}}', ['unknown_field@/data/__proto__']);
  rawPatch('constructor in data', '{"version":1,"data":{"constructor":{"prototype":{"x":1}}}}', ['unknown_field@/data/constructor']);
  rawPatch('__proto__ at the top level', '{"version":1,"data":{},"__proto__":{"x":1}}', ['unknown_field@/__proto__']);
  rawPatch('a 10,000-deep array in a text field', `{"version":1,"data":{"survivor_code_no":${deepArray(10_000)}}}`, ['invalid_type@/data/survivor_code_no']);
  rawPatch('a 10,000-deep object in a subform row', `{"version":1,"data":{"action_plan_section":[{"_id":"r1","service_provider":${deepObject(10_000)}}]}}`, ['invalid_type@/data/action_plan_section/0/service_provider']);
  rawPatch('a 10,000-deep array as rows', `{"version":1,"data":{"action_plan_section":${deepArray(10_000)}}}`, 'any');
  rawPatch('an unpaired surrogate', '{"version":1,"data":{"name":"\\ud83d"}}', ['invalid_character@/data/name']);
  rawPatch('age 1e400', '{"version":1,"data":{"age":1e400}}', ['invalid_type@/data/age']);

  // -- the list query
  const list = (name: string, query: string, module = 'module=gbv&') =>
    cases.push({ name: `gbv case list: ${name}`, method: 'get', url: () => `${RECORDS}/case?${module}${query}`, as: 'gbv', expect: { status: 400, code: 'validation_failed', issues: 'any' } });
  list('page not a number', 'page=abc');
  list('page 0', 'page=0');
  list('page negative', 'page=-1');
  list('page huge', 'page=99999999999');
  list('pageSize over the limit', 'pageSize=100000');
  list('pageSize a fraction', 'pageSize=1.5');
  list('page twice (an array)', 'page=1&page=2');
  list('page as an object', 'page[a]=1');
  list('sort by an unknown field', 'sort=nope');
  list('sort by a bare minus', 'sort=-');
  list('sort by too many keys', 'sort=age,sex,survivor_code_no,date_of_birth');
  list('filter on an unknown field', 'filter[nope]=1');
  list('filter with an unknown operator', 'filter[age][regex]=.*');
  list('filter a number with a word', 'filter[age][gt]=abc');
  list('filter a date with a bad date', 'filter[date_of_birth][gte]=2026-02-30');
  list('filter not an object', 'filter=age');
  list('filter on __proto__', 'filter[__proto__][eq]=1');
  list('filter on constructor', 'filter[constructor][prototype]=1');
  list('q too long', `q=${'x'.repeat(1000)}`);
  list('q an array', 'q[]=a&q[]=b');
  list('an unknown parameter', 'owner=me');
  list('__proto__ as a parameter', '__proto__[x]=1');
  const listExact = (name: string, query: string, issues: IssuePair[]) =>
    cases.push({ name: `gbv case list: ${name}`, method: 'get', url: () => `${RECORDS}/case?module=gbv&${query}`, as: 'gbv', expect: { status: 400, code: 'validation_failed', issues }, exact: true });
  listExact('a NUL in q', 'q=a%00b', ['invalid_character@/q']);
  listExact('a NUL in a filter value', 'filter[survivor_code_no]=SC%00', ['invalid_character@/filter/survivor_code_no']);
  listExact('a NUL in a filter operator value', 'filter[age][gte]=1%00', ['invalid_character@/filter/age/gte']);
  listExact('a NUL in a parameter name', 'filter[a%00b]=1', ['invalid_character@/filter/a\u0000b']);
  listExact('a NUL in sort', 'sort=%00', ['invalid_character@/sort']);
  list('module as an array', 'module[]=gbv', '');
  return cases;
}

function fieldOfType(module: string, recordType: string, type: string): string {
  const found = compiled.recordType(module, recordType).fields.find((f) => f.type === type && f.subform === undefined && !f.computed);
  if (!found) throw new Error(`no ${type} field in ${module}/${recordType}`);
  return found.key;
}
function multiSelect(module: string, recordType: string): string {
  return fieldOfType(module, recordType, 'multi_select');
}

const GENERATED = generated();
const HAND_WRITTEN = handWritten();
const ALL = [...GENERATED, ...HAND_WRITTEN];

describe('records: bad input', () => {
  let t: TestApp;
  let ds: DataSource;
  const api = {} as Record<'gbv' | 'cp', { token: string; api: ReturnType<typeof as> }>;
  const ctx = {} as Ctx;

  /** Rows that any write would touch (records with version and data, history, audit): equal before and after. */
  const snapshot = async () =>
    (
      await ds.query(
        `SELECT (SELECT count(*)::int FROM record) AS records,
                (SELECT count(*)::int FROM record_history) AS history,
                (SELECT count(*)::int FROM audit_log WHERE action LIKE 'record.%' AND outcome <> 'denied') AS audit,
                (SELECT string_agg(id::text || ':' || version || ':' || md5(data::text), ',' ORDER BY id) FROM record) AS versions`,
      )
    )[0];

  beforeAll(async () => {
    t = await startTestApp();
    ds = t.app.get(DataSource);
    await newAgency(ds, { code: 'BAD' });
    await newGroup(ds, { code: 'bad-grp', agency: 'BAD' });
    const gbv = await newUser(ds, { agency: 'BAD', groups: ['bad-grp'], roles: ['gbv_caseworker'] });
    const cp = await newUser(ds, { agency: 'BAD', groups: ['bad-grp'], roles: ['cp_caseworker'] });
    for (const [key, user] of [['gbv', gbv], ['cp', cp]] as const) {
      const token = await login(t, user.username, user.password);
      api[key] = { token, api: as(t, token) };
    }
    ctx.gbvCase = await newRecord(ds, { module: 'gbv', recordType: 'case', owner: gbv, data: TARGETS[1].base, history: true });
    ctx.gbvIncident = await newRecord(ds, { module: 'gbv', recordType: 'incident', owner: gbv, data: TARGETS[0].base, history: true });
    ctx.cpCase = await newRecord(ds, { module: 'cp', recordType: 'case', owner: cp, data: TARGETS[2].base, history: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`has at least 200 distinct cases (${ALL.length}: ${GENERATED.length} generated from the configuration, ${HAND_WRITTEN.length} by hand; ${ALL.filter((c) => c.exact).length} with written-out issue sets)`, () => {
    expect(new Set(ALL.map((c) => c.name)).size).toBe(ALL.length);
    expect(ALL.length).toBeGreaterThanOrEqual(200);
    expect(ALL.filter((c) => c.exact).length).toBeGreaterThanOrEqual(200);
  });

  it('the generated cases start from valid data (only the changed field is wrong)', () => {
    for (const target of TARGETS) expect(oracle(compiled.recordType(target.module, target.recordType), target.base)).toEqual([]);
  });

  it.each(ALL.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await snapshot();
    const auth = { Authorization: `Bearer ${api[c.as ?? 'gbv'].token}` };
    const url = c.url(ctx);
    let req = c.method === 'get' ? t.http().get(url) : c.method === 'post' ? t.http().post(url) : t.http().patch(url);
    req = req.set(auth);
    if (c.raw !== undefined) req = req.set('Content-Type', 'application/json');
    for (const [name, value] of Object.entries(c.headers ?? {})) req = req.set(name, value);
    const res = await (c.raw !== undefined ? req.send(c.raw) : c.body !== undefined ? req.send(c.body as object) : req);

    expect(res.status).toBeLessThan(500);
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: c.expect.status, code: c.expect.code ?? res.body?.error?.code });
    const issues: Array<{ code: string; path: string; message: string }> = res.body.error.issues;
    expect(Array.isArray(issues)).toBe(true);
    for (const issue of issues) expect(issue).toEqual(expect.objectContaining({ code: expect.any(String), path: expect.any(String), message: expect.any(String) }));
    const want = c.expect.issues;
    if (Array.isArray(want)) {
      // `?` in an expected path stands for any row index.
      const anyRow = want.some((e) => e.includes('/?/'));
      const got = issues.map((i) => pair(i.code, anyRow ? i.path.replace(/\/\d+\//, '/?/') : i.path));
      expect(got.sort()).toEqual([...want].sort());
    } else if (want === 'any' || c.expect.status === 400) {
      expect(issues.length).toBeGreaterThan(0);
    }
    expect(await snapshot()).toEqual(before);
  });

  describe('accepted on purpose (documented normalisations, not bad input)', () => {
    it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
      ['a right-to-left override in text is text like any other', { survivor_code_no: 'A\u202eB' }, { survivor_code_no: 'A\u202eB' }],
      ['Arabic and an emoji', { survivor_code_no: 'سارة 😀' }, { survivor_code_no: 'سارة 😀' }],
      ['a decimal number as text becomes the number', { age: ' 42 ' }, { age: 42 }],
      ['"true" becomes true', { [fieldOfType('gbv', 'case', 'yes_no')]: 'TRUE' }, { [fieldOfType('gbv', 'case', 'yes_no')]: true }],
      ['blank text is no value', { survivor_code_no: '   ' }, { survivor_code_no: null }],
      ['a row without an _id gets one', { action_plan_section: [{ service_provider: 'P' }] }, {}],
    ])('%s', async (_name, data, stored) => {
      const res = await api.gbv.api.post(`${RECORDS}/case`, { module: 'gbv', data }).expect(201);
      expect(res.body.data).toMatchObject(stored);
      const [row] = await ds.query(`SELECT data FROM record WHERE id = $1`, [res.body.id]);
      expect(row.data).toMatchObject(stored);
      if ('action_plan_section' in data) expect(row.data.action_plan_section[0]._id).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});
