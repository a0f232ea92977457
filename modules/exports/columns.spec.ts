import { describe, expect, it } from '@jest/globals';
import { spreadsheetSafe } from '../../engine/index.js';
import { cellOf, displayValue, type ExportColumn } from './columns.js';

const labels = new Map([
  ['female', 'Female'],
  ['minus', '-1 (a label that starts like a formula)'],
]);
const columns: Record<string, ExportColumn> = {
  text: { key: 'notes', type: 'textarea', header: 'Notes' },
  choice: { key: 'sex', type: 'select', header: 'Sex', optionLabel: (v) => labels.get(v) },
  number: { key: 'age', type: 'number', header: 'Age' },
  subform: { key: 'rows', type: 'subform', header: 'Rows', children: [{ key: 'a', type: 'text', header: 'A' }] },
};
const values: unknown[] = [
  undefined,
  null,
  '',
  'plain',
  '=HYPERLINK("x")',
  '+1',
  '-2',
  '@cmd',
  '\tx',
  '\rx',
  '\uFF1Dx',
  'female',
  'minus',
  'unknown_option',
  0,
  -3.5,
  true,
  false,
  ['female', 'minus', 'other', 4],
  [],
  [{ _id: 'r1', a: '=1' }],
  { from: '2024-01-01' },
];

describe('cellOf', () => {
  it.each(Object.entries(columns))('gives what displayValue and spreadsheetSafe give, for a %s column', (_kind, col) => {
    const cell = cellOf(col);
    for (const value of values) expect([value, cell(value)]).toEqual([value, spreadsheetSafe(displayValue(value, col))]);
  });

  it('neutralises formulas in values and in labels', () => {
    expect(cellOf(columns.text)('=1+1')).toBe("'=1+1");
    expect(cellOf(columns.choice)('minus')).toBe("'-1 (a label that starts like a formula)");
    expect(cellOf(columns.choice)('female')).toBe('Female');
  });
});
