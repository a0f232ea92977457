/**
 * Order of computed fields: a computed field is evaluated after every computed field it reads. Used
 * by the checker (to refuse cycles) and the compiler (to fix the evaluation order once).
 */
import type { FieldRef } from './logic-walk.js';

/** A computed field: `field` at record level, or `field` of each row of `subform`. */
export interface ComputeNode {
  readonly id: string;
  readonly subform?: string;
  readonly field: string;
  readonly refs: readonly FieldRef[];
}

export function computeNodeId(subform: string | undefined, field: string): string {
  return subform === undefined ? field : `${subform}.${field}`;
}

export interface ComputeOrder {
  /** Node ids, dependencies first. Nodes on a cycle are left out. */
  readonly order: readonly string[];
  /** Each cycle once, as the ids along it. */
  readonly cycles: readonly (readonly string[])[];
}

/** Dependencies of each node among the computed nodes (reading a whole subform reads its computed fields). */
function dependencies(nodes: readonly ComputeNode[]): Map<string, string[]> {
  const ids = new Set(nodes.map((n) => n.id));
  const bySubform = new Map<string, string[]>();
  for (const n of nodes) {
    if (n.subform === undefined) continue;
    const list = bySubform.get(n.subform) ?? [];
    list.push(n.id);
    bySubform.set(n.subform, list);
  }
  const deps = new Map<string, string[]>();
  for (const n of nodes) {
    const out = new Set<string>();
    for (const ref of n.refs) {
      const id = computeNodeId(ref.subform, ref.field);
      if (ids.has(id)) out.add(id);
      if (ref.subform === undefined) for (const child of bySubform.get(ref.field) ?? []) out.add(child);
    }
    // A field reading itself stays in its own list: a cycle of one.
    deps.set(n.id, [...out]);
  }
  return deps;
}

export function orderComputes(nodes: readonly ComputeNode[]): ComputeOrder {
  const deps = dependencies(nodes);
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const cycles: string[][] = [];
  const onCycle = new Set<string>();
  const stack: string[] = [];

  function visit(id: string): void {
    const seen = state.get(id);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = stack.slice(stack.indexOf(id));
      if (!cycle.some((member) => onCycle.has(member))) cycles.push(cycle);
      for (const member of cycle) onCycle.add(member);
      return;
    }
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) visit(dep);
    stack.pop();
    state.set(id, 'done');
    if (!onCycle.has(id)) order.push(id);
  }
  for (const n of nodes) visit(n.id);
  return { order, cycles };
}
