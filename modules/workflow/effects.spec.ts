import { describe, expect, it } from '@jest/globals';
import { compileOrThrow, makeBundle, testContext } from '../../engine/testing/bundle-factory.js';
import { HavenError } from '../common/errors.js';
import type { RecordRow } from '../records/record.types.js';
import { applySetFields } from './effects.js';

const WORKFLOW = {
  module: 'm',
  recordType: 'case',
  initial: 'open',
  states: [
    { key: 'open', label: 'Open' },
    { key: 'closed', label: 'Closed', final: true },
  ],
  transitions: [
    { key: 'close', label: 'Close', from: ['open'], to: 'closed', action: 'close', effects: { setFields: { closed_on: { var: 'today' } } } },
    { key: 'note', label: 'Note', from: ['open'], to: 'open', action: 'update', effects: { setFields: { notes: 'much too long a note' } } },
  ],
};

const compiled = compileOrThrow(
  makeBundle({
    fields: [
      { key: 'closed_on', type: 'date', label: 'Closed on' },
      { key: 'notes', type: 'text', label: 'Notes', maxLength: 5 },
      { key: 'name', type: 'text', label: 'Name', maxLength: 5, identifying: true },
    ],
    files: { 'workflows/m.case.json': WORKFLOW },
  }),
);
const rt = compiled.recordType('m', 'case');
const wf = compiled.workflow('m', 'case')!;
const row = (data: Record<string, unknown>): RecordRow =>
  ({ id: 'r1', module: 'm', recordType: 'case', data, fieldVersions: {}, version: 3 }) as unknown as RecordRow;
const effects = (key: string) => wf.transition(key)!.effects;
const everything = new Set(['closed_on', 'notes', 'name']);
const issuesOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (err) {
    if (err instanceof HavenError) return err.issues.map((i) => `${i.code}@${i.path}`);
    throw err;
  }
  return [];
};

describe('applySetFields', () => {
  it('is not blocked by a problem the stored record had already', () => {
    const out = applySetFields(rt, wf, effects('close'), row({ notes: 'far too long' }), testContext(), everything);
    expect(out?.changes.map((c) => c.path)).toEqual(['closed_on']);
  });

  it('is blocked by a problem it brings, also on a field that was already wrong the same way', () => {
    expect(issuesOf(() => applySetFields(rt, wf, effects('note'), row({}), testContext(), everything))).toEqual(['too_long@/data/notes']);
    expect(issuesOf(() => applySetFields(rt, wf, effects('note'), row({ notes: 'also too long' }), testContext(), everything))).toEqual(['too_long@/data/notes']);
  });

  it('tells a problem in a field the caller cannot read without naming it', () => {
    expect(issuesOf(() => applySetFields(rt, wf, effects('note'), row({}), testContext(), new Set(['closed_on'])))).toEqual(['record_invalid@']);
  });
});
