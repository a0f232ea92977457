/** Validation rules: their record type exists, keys are unique, logic sees only what it may, paths name fields. */
import { parsePointer } from '../../util/json-pointer.js';
import type { CheckContext } from './context.js';
import { checkLogicAt, namespaceLogicEnv, rowScope } from './logic-env.js';

export function checkRules(ctx: CheckContext): void {
  const keys = new Map<string, string>();
  for (const bundle of ctx.bundles) {
    for (const { def: file, file: path } of bundle.rules) {
      const expected = `${file.module}.${file.recordType}`;
      if (!path.endsWith(`/${expected}.json`)) ctx.report(bundle, path, '', 'file_name_mismatch', `This file must be named "${expected}.json" after the record type it holds rules for.`);
      const module = ctx.modules.get(file.module);
      if (module === undefined || !ctx.sees(bundle, module.bundle)) {
        if (!ctx.isBroken('module', file.module)) ctx.report(bundle, path, '/module', 'unknown_module', `There is no module "${file.module}" in this bundle or its dependencies.`);
      } else if (!module.def.recordTypes.includes(file.recordType)) {
        ctx.report(bundle, path, '/recordType', 'unknown_record_type', `Module "${file.module}" does not list record type "${file.recordType}".`);
      }
      const ns = ctx.namespace(file.module, file.recordType);
      const env = namespaceLogicEnv(ctx, bundle, ns);

      file.rules.forEach((rule, i) => {
        const at = `/rules/${i}`;
        const id = `${file.module}.${file.recordType}.${rule.key}`;
        if (keys.has(id)) ctx.report(bundle, path, `${at}/key`, 'duplicate_key', `Rule "${rule.key}" is already defined in ${keys.get(id)}.`);
        else keys.set(id, `${bundle.key}/${path}`);

        let row;
        let fields = env.recordFields;
        if (rule.subform !== undefined) {
          const rows = env.subformFields(rule.subform);
          if (rows === undefined) {
            ctx.report(bundle, path, `${at}/subform`, 'unknown_subform', `"${rule.subform}" is not a subform of ${file.module}/${file.recordType}.`);
          }
          // With an unknown subform, `row.*` cannot be checked; reporting each use would only repeat the issue.
          row = rows === undefined ? { subform: undefined, fields: undefined } : rowScope(env, rule.subform);
          fields = rows;
        }
        if (rule.when !== undefined) checkLogicAt(ctx, bundle, path, env, rule.when, `${at}/when`, row);
        checkLogicAt(ctx, bundle, path, env, rule.assert, `${at}/assert`, row);

        const target = parsePointer(rule.path)?.[0];
        if (fields !== undefined && (target === undefined || !fields.has(target))) {
          ctx.report(bundle, path, `${at}/path`, 'unknown_field', `"${rule.path}" does not point at a field${rule.subform === undefined ? '' : ' of the subform row'}.`);
        }
      });
    }
  }
}
