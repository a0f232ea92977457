/** Shared state of one cross-reference check: the bundles, their dependency closure, global indexes. */
import type { LookupResolution } from '../../fields/field-type.js';
import type { FieldDefinition, LeafFieldDefinition } from '../../fields/index.js';
import type { BundleIssueCode } from '../issue-codes.js';
import type { LookupDefinition, ModuleDefinition, RecordTypeDefinition } from '../schema/definitions.js';
import type { BundleIssue, FileKind, ParsedBundle, Sourced } from '../types.js';

export interface Owned<T> extends Sourced<T> {
  readonly bundle: ParsedBundle;
}

/** Where a field is defined. */
export interface FieldEntry {
  readonly def: FieldDefinition | LeafFieldDefinition;
  readonly bundle: ParsedBundle;
  readonly file: string;
  /** Pointer of the field definition in its file (`/fields/3` or `/fields/3/fields/1`). */
  readonly pointer: string;
  readonly form: string;
  readonly subform?: string;
}

/** All fields of one module's record type (forms of every bundle share it). */
export interface Namespace {
  readonly module: string;
  readonly recordType: string;
  readonly fields: Map<string, FieldEntry>;
  readonly subforms: Map<string, Map<string, FieldEntry>>;
  /** Keys declared by forms of this namespace that failed their schema (field key -> row field keys). */
  readonly brokenFields: Map<string, ReadonlySet<string>>;
}

export class CheckContext {
  readonly issues: BundleIssue[] = [];
  readonly byKey = new Map<string, ParsedBundle>();
  /** Each bundle's own key plus its transitive dependencies. */
  readonly visible = new Map<ParsedBundle, ReadonlySet<string>>();
  readonly lookups = new Map<string, Owned<LookupDefinition>>();
  readonly modules = new Map<string, Owned<ModuleDefinition>>();
  readonly recordTypes = new Map<string, Owned<RecordTypeDefinition>>();
  readonly namespaces = new Map<string, Namespace>();
  /** Keys declared by files that failed their schema, per kind and bundle: not reported again as unknown. */
  readonly brokenKeys = new Map<FileKind, Map<string, ParsedBundle>>();

  constructor(readonly bundles: readonly ParsedBundle[]) {}

  report(bundle: ParsedBundle, file: string, pointer: string, code: BundleIssueCode, message: string): void {
    this.issues.push({ bundle: bundle.key, file, pointer, code, message });
  }

  sees(from: ParsedBundle, owner: ParsedBundle): boolean {
    return this.visible.get(from)?.has(owner.key) ?? owner === from;
  }

  isBroken(kind: FileKind, key: string): boolean {
    return this.brokenKeys.get(kind)?.has(key) ?? false;
  }

  resolveLookup(from: ParsedBundle, key: string): LookupResolution {
    const found = this.lookups.get(key);
    if (found !== undefined) {
      if (this.sees(from, found.bundle)) return { status: 'found', lookup: found.def };
      return {
        status: 'missing',
        message: `Lookup "${key}" belongs to bundle "${found.bundle.key}", which "${from.key}" does not depend on.`,
      };
    }
    if (this.isBroken('lookup', key)) return { status: 'broken' };
    return { status: 'missing', message: `There is no lookup "${key}".` };
  }

  namespace(module: string, recordType: string): Namespace | undefined {
    return this.namespaces.get(`${module}.${recordType}`);
  }

  ensureNamespace(module: string, recordType: string): Namespace {
    const id = `${module}.${recordType}`;
    let ns = this.namespaces.get(id);
    if (ns === undefined) {
      ns = { module, recordType, fields: new Map(), subforms: new Map(), brokenFields: new Map() };
      this.namespaces.set(id, ns);
    }
    return ns;
  }
}

/** Registers a keyed definition in a global index, reporting a duplicate at its `/key`. */
export function indexUnique<T extends { readonly key: string }>(
  ctx: CheckContext,
  index: Map<string, Owned<T>>,
  id: string,
  entry: Owned<T>,
  what: string,
): boolean {
  const previous = index.get(id);
  if (previous !== undefined) {
    ctx.report(entry.bundle, entry.file, '/key', 'duplicate_key', `${what} "${entry.def.key}" is already defined in ${previous.bundle.key}/${previous.file}.`);
    return false;
  }
  index.set(id, entry);
  return true;
}
