import { compileBundles, type FieldInfo, type LoadedBundle } from '../../engine/index.js';

function flags(field: FieldInfo): string {
  const parts: string[] = [];
  if (field.required) parts.push('required');
  if (field.identifying) parts.push('identifying');
  if (field.computed) parts.push('computed');
  else if (field.readOnly) parts.push('read-only');
  if (field.searchable) parts.push('searchable');
  if (field.lookup) parts.push(`lookup ${field.lookup}`);
  else if (field.options?.length) parts.push(`${field.options.length} options`);
  if ('visibleIf' in field.definition && field.definition.visibleIf !== undefined) parts.push('conditional');
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

/** A readable outline of one bundle (the one with `hash`) as it compiles together with its dependencies. */
export function describeConfig(bundles: readonly LoadedBundle[], hash: string): string {
  const bundle = bundles.find((b) => b.hash === hash) ?? bundles[bundles.length - 1];
  const compiled = compileBundles(bundles);
  const out: string[] = [];
  out.push(`${bundle.manifest.title} (${bundle.key} ${bundle.manifest.version})`);
  out.push(`  hash ${bundle.hash}`);
  out.push(`  base language ${bundle.manifest.baseLanguage}; locales ${bundle.manifest.locales.join(', ')}; depends on ${bundle.manifest.dependsOn?.join(', ') || 'nothing'}`);
  for (const { def: module } of bundle.modules) {
    out.push('', `Module ${module.key}: ${module.label}`);
    for (const rtKey of module.recordTypes) {
      const rt = compiled.findRecordType(module.key, rtKey);
      if (!rt) continue;
      out.push(`  Record type ${rt.key}: ${rt.label} — ${rt.forms.length} forms, ${rt.fields.filter((f) => f.stored).length} stored fields, ${rt.identifyingFields.length} identifying`);
      for (const form of rt.forms) {
        out.push(`    Form ${form.key}: ${form.label}${form.group ? ` (group ${form.group})` : ''}`);
        for (const field of rt.fields.filter((f) => f.form === form.key && !f.subform)) {
          out.push(`      ${field.key}  ${field.type}${flags(field)} — ${field.label}`);
          for (const child of rt.fields.filter((f) => f.subform === field.key)) {
            out.push(`        ${child.key}  ${child.type}${flags(child)} — ${child.label}`);
          }
        }
      }
    }
  }
  if (bundle.lookups.length) {
    out.push('', 'Lookups');
    for (const { def } of bundle.lookups) {
      out.push(`  ${def.key}: ${def.label} — ${def.values.length} values${def.localizable ? ', localizable' : ''}`);
    }
  }
  const rules = bundle.rules.flatMap(({ def }) => def.rules.map((rule) => ({ file: def, rule })));
  if (rules.length) {
    out.push('', 'Rules');
    for (const { file, rule } of rules) {
      out.push(`  ${file.module}.${file.recordType}.${rule.key} (${rule.kind}${rule.subform ? `, rows of ${rule.subform}` : ''}) at ${rule.path}: ${rule.message}`);
    }
  }
  if (bundle.locations.length) {
    out.push('', 'Locations');
    for (const { file, def } of bundle.locations) {
      out.push(`  ${file}: ${def.locations.length} places over ${def.adminLevels.length} admin levels${def.localizable ? ', localizable' : ''}`);
    }
  }
  return out.join('\n');
}
