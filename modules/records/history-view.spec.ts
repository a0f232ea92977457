import { describe, expect, it } from '@jest/globals';
import { DISABLED_PATH, disableEventChanges, redactChanges } from './history-view.js';

describe('history redaction', () => {
  const readable = new Set(['age', 'sex', 'perpetrators', 'perpetrators.sex']);
  const subforms = new Set(['perpetrators']);
  const identifying = new Set(['name', 'perpetrators.name', 'sex']);

  it('keeps changes to readable fields and drops the others', () => {
    const out = redactChanges(
      [
        { path: 'age', from: null, to: 12 },
        { path: 'name', from: null, to: 'Amina' },
        { path: 'perpetrators/r1/sex', from: null, to: 'male' },
        { path: 'perpetrators/r1/name', from: null, to: 'Bob' },
        { path: 'other/r1/sex', from: null, to: 'x' },
      ],
      readable,
      subforms,
      identifying,
    );
    expect(out.changes).toEqual([
      { path: 'age', from: null, to: 12 },
      { path: 'perpetrators/r1/sex', from: null, to: 'male' },
    ]);
    expect(JSON.stringify(out)).not.toMatch(/Amina|Bob/);
  });

  it('redacts added and removed rows, and whole subform values, to the readable children', () => {
    const out = redactChanges(
      [
        { path: 'perpetrators/r1', from: null, to: { _id: 'r1', sex: 'male', name: 'Bob' } },
        { path: 'perpetrators/r2', from: { _id: 'r2', name: 'Carl' }, to: null },
        { path: 'perpetrators', from: [{ _id: 'r3', name: 'Dan', sex: 'female' }], to: [] },
      ],
      readable,
      subforms,
      identifying,
    );
    expect(out.changes).toEqual([
      { path: 'perpetrators/r1', from: null, to: { _id: 'r1', sex: 'male' } },
      { path: 'perpetrators/r2', from: { _id: 'r2' }, to: null },
      { path: 'perpetrators', from: [{ _id: 'r3', sex: 'female' }], to: [] },
    ]);
    expect(JSON.stringify(out)).not.toMatch(/Bob|Carl|Dan/);
  });

  it('names the identifying fields whose values it returns', () => {
    const out = redactChanges([{ path: 'sex', from: null, to: 'female' }, { path: 'age', from: 1, to: 2 }], readable, subforms, identifying);
    expect(out.identifying).toEqual(['sex']);
    expect(redactChanges([{ path: 'age', from: 1, to: 2 }], readable, subforms, identifying).identifying).toEqual([]);
  });

  it('shows workflow events ($ paths) whatever the readable fields, with their comments', () => {
    const out = redactChanges(
      [
        { path: '$status', from: 'open', to: 'assessment', transition: 'start_assessment', comment: 'seen today' },
        { path: '$owner', from: 'amina', to: 'bea' },
        { path: 'name', from: null, to: 'Amina' },
      ],
      new Set<string>(),
      subforms,
      identifying,
    );
    expect(out.changes).toEqual([
      { path: '$status', from: 'open', to: 'assessment', transition: 'start_assessment', comment: 'seen today' },
      { path: '$owner', from: 'amina', to: 'bea' },
    ]);
    expect(out.identifying).toEqual([]);
  });

  it('ignores malformed history', () => {
    expect(redactChanges('junk', readable, subforms, identifying).changes).toEqual([]);
    expect(redactChanges([null, 1, { path: 3 }, { path: '__proto__' }], readable, subforms, identifying).changes).toEqual([]);
  });
});

describe('disable and enable events', () => {
  it('reads the path `disabled` of earlier disable/enable rows as `$disabled`, shown with its reason', () => {
    const earlier = [{ path: 'disabled', from: false, to: true, reason: 'Entered twice' }];
    const changes = disableEventChanges('disable', earlier);
    expect(changes).toEqual([{ path: DISABLED_PATH, from: false, to: true, reason: 'Entered twice' }]);
    expect(redactChanges(changes, new Set(), new Set(), new Set()).changes).toEqual([{ path: '$disabled', from: false, to: true, reason: 'Entered twice' }]);
  });

  it('leaves a field called `disabled` of an ordinary edit alone', () => {
    const edit = [{ path: 'disabled', from: 'no', to: 'yes' }];
    expect(disableEventChanges('update', edit)).toBe(edit);
    expect(redactChanges(edit, new Set(), new Set(), new Set()).changes).toEqual([]);
  });
});
