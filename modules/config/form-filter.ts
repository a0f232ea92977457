import type { HavenAbility, LocalizedField, LocalizedForms } from '../../engine/index.js';

/**
 * Cuts localized form definitions down to what one caller may read: forms without access disappear, fields
 * outside the readable set disappear (identifying fields for a supervisor), and whatever the caller may read
 * but not write is marked read-only. Layout-only fields (separators) stay with their form.
 */
export function formsForCaller(forms: LocalizedForms, ability: HavenAbility): LocalizedForms {
  const { module, recordType } = forms;
  const access = ability.formAccess(module, recordType);
  const readable = ability.readableFields(module, recordType);
  const writable = ability.writableFields(module, recordType);
  const filterFields = (fields: readonly LocalizedField[], parent: string | undefined, formWritable: boolean): LocalizedField[] =>
    fields.flatMap((field) => {
      const path = parent ? `${parent}.${field.key}` : field.key;
      if (field.type !== 'separator' && !readable.has(path)) return [];
      const children = field.fields ? filterFields(field.fields, path, formWritable) : undefined;
      const readOnly = field.readOnly || !formWritable || (field.type !== 'separator' && !writable.has(path));
      return [{ ...field, readOnly, ...(children ? { fields: children } : {}) }];
    });
  return {
    ...forms,
    forms: forms.forms.flatMap((form) => {
      const level = access.get(form.key);
      if (!level) return [];
      const fields = filterFields(form.fields, undefined, level === 'read_write');
      return fields.some((f) => f.type !== 'separator') ? [{ ...form, fields }] : [];
    }),
  };
}
