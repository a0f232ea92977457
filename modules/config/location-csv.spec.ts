import { describe, expect, it } from '@jest/globals';
import { parseLocationCsv, type HierarchyContext } from './location-csv.js';

const ctx: HierarchyContext = { baseLanguage: 'en', locales: ['en'], levels: new Map([[0, 'country']]), fixed: new Map() };

describe('location hierarchy CSV', () => {
  it('reads the disabled column as yes/no only: names of Object.prototype are no yes', () => {
    const parsed = parseLocationCsv('code,parent_code,admin_level,name:en,disabled\nA,,0,Alpha,constructor\nB,,0,Beta,__proto__\nC,,0,Gamma,yes\nD,,0,Delta,\n', ctx);
    expect(parsed.problems.map((p) => [p.row, p.column, p.code])).toEqual([
      [2, 'disabled', 'invalid_value'],
      [3, 'disabled', 'invalid_value'],
    ]);
    expect(parsed.nodes.filter((n) => n.disabled).map((n) => n.code)).toEqual(['C']);
  });
});
