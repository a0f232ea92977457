import type { EntityManager } from 'typeorm';
import type { CompiledConfig, DataUsage, UsageQuestions } from '../../engine/index.js';

/**
 * What the records hold, for the governance diff's breaking-change flags and for the overlays' "in use"
 * checks. Plain SQL over `record.data` of one module's record type (disabled records included: they keep
 * their data). Field paths are `key` or `<subform>.<key>`; a value counts when it is not null, "", [] or {}.
 */

const EMPTY = `('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb)`;

function split(path: string): { subform?: string; key: string } {
  const dot = path.indexOf('.');
  return dot < 0 ? { key: path } : { subform: path.slice(0, dot), key: path.slice(dot + 1) };
}

/** Which of `paths` hold a value in at least one record of the record type. */
export async function fieldsInUse(db: EntityManager, module: string, recordType: string, paths: readonly string[]): Promise<string[]> {
  const top = paths.filter((p) => !p.includes('.'));
  const used: string[] = [];
  if (top.length > 0) {
    const rows: Array<{ k: string }> = await db.query(
      `SELECT DISTINCT e.key AS k
         FROM record r CROSS JOIN LATERAL jsonb_each(r.data) e
        WHERE r.module = $1 AND r.record_type = $2 AND e.key = ANY($3::text[]) AND e.value NOT IN ${EMPTY}`,
      [module, recordType, top],
    );
    used.push(...rows.map((r) => r.k));
  }
  const bySubform = new Map<string, string[]>();
  for (const path of paths) {
    const { subform, key } = split(path);
    if (subform !== undefined) bySubform.set(subform, [...(bySubform.get(subform) ?? []), key]);
  }
  for (const [subform, keys] of bySubform) {
    const rows: Array<{ k: string }> = await db.query(
      `SELECT DISTINCT e.key AS k
         FROM record r
        CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.data -> $3) = 'array' THEN r.data -> $3 ELSE '[]'::jsonb END) row
        CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(row) = 'object' THEN row ELSE '{}'::jsonb END) e
        WHERE r.module = $1 AND r.record_type = $2 AND r.data ? $3 AND e.key = ANY($4::text[]) AND e.value NOT IN ${EMPTY}`,
      [module, recordType, subform, keys],
    );
    used.push(...rows.map((r) => `${subform}.${r.k}`));
  }
  return used;
}

/**
 * Which of `values` the field holds in at least one record: a string value (radio, select, location) or an
 * element of an array (multi_select). Subform fields look into every row.
 */
export async function valuesInUse(db: EntityManager, module: string, recordType: string, path: string, values: readonly string[]): Promise<string[]> {
  if (values.length === 0) return [];
  const { subform, key } = split(path);
  const source = subform === undefined ? 'r.data' : 'row';
  const rows: Array<{ v: string }> = await db.query(
    `SELECT DISTINCT x.v
       FROM record r
       ${subform === undefined ? '' : `CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.data -> $5) = 'array' THEN r.data -> $5 ELSE '[]'::jsonb END) row`}
      CROSS JOIN LATERAL (
        SELECT ${source} ->> $3 AS v WHERE jsonb_typeof(${source} -> $3) = 'string'
        UNION ALL
        SELECT jsonb_array_elements_text(${source} -> $3) WHERE jsonb_typeof(${source} -> $3) = 'array'
      ) x
      WHERE r.module = $1 AND r.record_type = $2 AND x.v = ANY($4::text[])`,
    subform === undefined ? [module, recordType, key, values] : [module, recordType, key, values, subform],
  );
  return rows.map((r) => r.v);
}

/** Answers the diff's usage questions (engine `diffUsageQuestions`). */
export async function dataUsage(db: EntityManager, questions: UsageQuestions): Promise<DataUsage> {
  const fields: Record<string, string[]> = {};
  const byType = new Map<string, { module: string; recordType: string; paths: string[] }>();
  for (const q of questions.fields) {
    const id = `${q.module}/${q.recordType}`;
    const entry = byType.get(id) ?? { module: q.module, recordType: q.recordType, paths: [] };
    entry.paths.push(q.path);
    byType.set(id, entry);
  }
  for (const [id, entry] of byType) fields[id] = await fieldsInUse(db, entry.module, entry.recordType, entry.paths);
  const options: Record<string, string[]> = {};
  for (const q of questions.options) {
    const id = `${q.module}/${q.recordType}/${q.path}`;
    options[id] = [...new Set([...(options[id] ?? []), ...(await valuesInUse(db, q.module, q.recordType, q.path, q.values))])];
  }
  return { fields, options };
}

/** Location fields of every record type (`key` or `<subform>.<key>`). */
export function locationFields(compiled: CompiledConfig): Array<{ module: string; recordType: string; path: string }> {
  return compiled.recordTypes.flatMap((rt) => rt.fields.filter((f) => f.type === 'location').map((f) => ({ module: rt.module, recordType: rt.key, path: f.path })));
}

/** Which of `codes` some record holds in a location field, with how many records hold each. */
export async function locationsInUse(db: EntityManager, compiled: CompiledConfig, codes: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (codes.length === 0) return counts;
  for (const field of locationFields(compiled)) {
    const { subform, key } = split(field.path);
    const source = subform === undefined ? 'r.data' : 'row';
    const rows: Array<{ v: string; n: number }> = await db.query(
      `SELECT ${source} ->> $3 AS v, count(DISTINCT r.id)::int AS n
         FROM record r
         ${subform === undefined ? '' : `CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.data -> $5) = 'array' THEN r.data -> $5 ELSE '[]'::jsonb END) row`}
        WHERE r.module = $1 AND r.record_type = $2 AND ${source} ->> $3 = ANY($4::text[])
        GROUP BY 1`,
      subform === undefined ? [field.module, field.recordType, key, codes] : [field.module, field.recordType, key, codes, subform],
    );
    for (const row of rows) counts.set(row.v, (counts.get(row.v) ?? 0) + row.n);
  }
  return counts;
}
