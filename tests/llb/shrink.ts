/**
 * Shrinking a failing graph description: smaller outputs, fewer nodes,
 * options and actions dropped one at a time, for as long as the failure
 * stays, so the report shows the smallest graph that still differs.
 */
import type { DescNode, Description } from "../../lib/llb/mod.ts";

/** Node indexes a node names (the description's reference fields). */
function refsOf(n: DescNode): number[] {
  const out: number[] = [];
  const f = n as Record<string, any>;
  for (const k of ["state", "run", "lower", "upper"]) if (typeof f[k] === "number") out.push(f[k]);
  for (const k of ["states", "deps", "with"]) if (Array.isArray(f[k])) out.push(...f[k]);
  for (const m of f.opts?.mounts ?? []) if (typeof m.source === "number") out.push(m.source);
  for (const a of f.actions ?? []) if (typeof a.from === "number") out.push(a.from);
  return out;
}

function remap(n: DescNode, map: Map<number, number>): DescNode {
  const copy = structuredClone(n) as Record<string, any>;
  const m = (i: number) => map.get(i)!;
  for (const k of ["state", "run", "lower", "upper"]) {
    if (typeof copy[k] === "number") copy[k] = m(copy[k]);
  }
  for (const k of ["states", "deps", "with"]) if (Array.isArray(copy[k])) copy[k] = copy[k].map(m);
  for (const mt of copy.opts?.mounts ?? []) {
    if (typeof mt.source === "number") mt.source = m(mt.source);
  }
  for (const a of copy.actions ?? []) if (typeof a.from === "number") a.from = m(a.from);
  return copy as DescNode;
}

/** The description without nodes its output does not reach. */
export function prune(d: Description): Description {
  const keep = new Set<number>();
  const stack = [d.output];
  while (stack.length) {
    const i = stack.pop()!;
    if (keep.has(i)) continue;
    keep.add(i);
    stack.push(...refsOf(d.nodes[i]));
    // A root or mount needs its run; a run's settings need their chain.
  }
  const order = [...keep].sort((a, b) => a - b);
  const map = new Map(order.map((old, i) => [old, i]));
  return { ...d, nodes: order.map((i) => remap(d.nodes[i], map)), output: map.get(d.output)! };
}

/** Smaller variants of `d`, most promising first. */
function* variants(d: Description): Generator<Description> {
  for (let i = 0; i < d.nodes.length; i++) {
    if (i !== d.output && d.nodes[i].kind !== "run") yield prune({ ...d, output: i });
  }
  for (let i = 0; i < d.nodes.length; i++) {
    const n = d.nodes[i] as Record<string, any>;
    const withNode = (next: Record<string, unknown>) => {
      const nodes = [...d.nodes];
      nodes[i] = next as DescNode;
      return { ...d, nodes };
    };
    for (const key of Object.keys(n.opts ?? {})) {
      const { [key]: _, ...opts } = n.opts;
      yield withNode({ ...n, opts });
    }
    for (const listKey of ["actions", "states", "deps"]) {
      const list = n[listKey] as unknown[] | undefined;
      if (!list || list.length < 2) continue;
      for (let j = 0; j < list.length; j++) {
        yield withNode({ ...n, [listKey]: list.filter((_, k) => k !== j) });
      }
    }
    for (const [j, m] of (n.opts?.mounts ?? []).entries()) {
      const mounts = n.opts.mounts.filter((_: unknown, k: number) => k !== j);
      yield withNode({ ...n, opts: { ...n.opts, mounts } });
      for (const key of Object.keys(m)) {
        if (["type", "target", "source", "id"].includes(key)) continue;
        const { [key]: _, ...rest } = m;
        const one = [...n.opts.mounts];
        one[j] = rest;
        yield withNode({ ...n, opts: { ...n.opts, mounts: one } });
      }
    }
    for (const [j, a] of (n.actions ?? []).entries()) {
      for (const key of Object.keys(a.opts ?? {})) {
        const { [key]: _, ...opts } = a.opts;
        const actions = [...n.actions];
        actions[j] = { ...a, opts };
        yield withNode({ ...n, actions });
      }
    }
  }
  if (d.platform) yield { ...d, platform: undefined };
}

/** Shrinks `d` while `fails` holds; returns the smallest failing description found. */
export async function shrink(
  d: Description,
  fails: (d: Description) => Promise<boolean>,
  budget = 400,
): Promise<Description> {
  let best = prune(d);
  let improved = true;
  while (improved && budget > 0) {
    improved = false;
    for (const v of variants(best)) {
      if (--budget <= 0) break;
      if (JSON.stringify(v).length >= JSON.stringify(best).length) continue;
      if (await fails(v)) {
        best = v;
        improved = true;
        break;
      }
    }
  }
  return best;
}
