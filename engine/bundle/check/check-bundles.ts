/**
 * Step 2 of loading: cross-references between the files of bundles loaded together. Runs every check
 * and returns every issue; never throws. Order matters only for indexing (what is referenced is
 * indexed before what references it).
 */
import type { BundleIssue, ParsedBundle } from '../types.js';
import { checkDefinitions, checkRecordTypeFields, indexDefinitions } from './check-definitions.js';
import { checkExports } from './check-exports.js';
import { checkForms, indexForms } from './check-forms.js';
import { checkGraph } from './check-graph.js';
import { checkLocations } from './check-locations.js';
import { checkReferrals } from './check-referrals.js';
import { checkReports } from './check-reports.js';
import { checkRoles } from './check-roles.js';
import { checkRules } from './check-rules.js';
import { checkTemplates } from './check-templates.js';
import { checkTranslations } from './check-translations.js';
import { checkWorkflows } from './check-workflows.js';
import { CheckContext } from './context.js';

export function checkBundles(parsed: readonly ParsedBundle[]): BundleIssue[] {
  const ctx = new CheckContext(parsed);
  checkGraph(ctx);
  indexDefinitions(ctx);
  indexForms(ctx);
  checkDefinitions(ctx);
  checkRecordTypeFields(ctx);
  checkForms(ctx);
  checkRules(ctx);
  checkExports(ctx);
  checkReports(ctx);
  checkRoles(ctx);
  checkReferrals(ctx);
  checkWorkflows(ctx);
  checkLocations(ctx);
  checkTemplates(ctx);
  checkTranslations(ctx);
  return ctx.issues;
}
