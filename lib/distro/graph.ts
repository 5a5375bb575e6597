/**
 * Graph algorithms over plain data: a map from each node to the nodes it
 * depends on. Topological order (Kahn's, ties broken by name so the order
 * is deterministic), strongly connected components (Tarjan's) for cycles,
 * one readable cycle through a component, and the critical path.
 */

/** Each node's dependencies (nodes it needs first); every node is a key. */
export type DependencyMap = Map<string, Set<string>>;

/**
 * Dependencies before dependents; among nodes ready at once, by name.
 * Nodes on or behind a cycle are left out (see {@link cycles}).
 */
export function topologicalOrder(deps: DependencyMap): string[] {
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [node, ds] of deps) {
    waiting.set(node, ds.size);
    for (const d of ds) {
      let list = dependents.get(d);
      if (!list) dependents.set(d, list = []);
      list.push(node);
    }
  }
  const ready = [...deps.keys()].filter((n) => waiting.get(n) === 0).sort();
  const order: string[] = [];
  while (ready.length) {
    // `ready` is kept sorted: take the smallest name.
    const node = ready.shift()!;
    order.push(node);
    for (const dep of dependents.get(node) ?? []) {
      const left = waiting.get(dep)! - 1;
      waiting.set(dep, left);
      if (left === 0) insertSorted(ready, dep);
    }
  }
  return order;
}

function insertSorted(list: string[], item: string): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < item) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}

/** The strongly connected components of more than one node, each sorted, by first name. */
export function cycles(deps: DependencyMap): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  // Iterative Tarjan: a deep chain of thousands of packages must not overflow the call stack.
  for (const root of [...deps.keys()].sort()) {
    if (index.has(root)) continue;
    const frames: { node: string; it: Iterator<string> }[] = [];
    const open = (node: string) => {
      index.set(node, next);
      low.set(node, next++);
      stack.push(node);
      onStack.add(node);
      frames.push({ node, it: [...(deps.get(node) ?? [])].sort()[Symbol.iterator]() });
    };
    open(root);
    while (frames.length) {
      const top = frames[frames.length - 1];
      const step = top.it.next();
      if (!step.done) {
        const d = step.value;
        if (!deps.has(d)) continue;
        if (!index.has(d)) open(d);
        else if (onStack.has(d)) low.set(top.node, Math.min(low.get(top.node)!, index.get(d)!));
        continue;
      }
      frames.pop();
      if (frames.length) {
        const parent = frames[frames.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const scc: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          scc.push(n);
        } while (n !== top.node);
        const selfLoop = deps.get(top.node)?.has(top.node);
        if (scc.length > 1 || selfLoop) found.push(scc.sort());
      }
    }
  }
  return found.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * One cycle through a component, as the path `[a, b, ..., a]` where each
 * node needs the next: the shortest way back to its first node.
 */
export function cyclePath(component: string[], deps: DependencyMap): string[] {
  const inside = new Set(component);
  const start = component[0];
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift()!;
    for (const d of [...(deps.get(node) ?? [])].sort()) {
      if (!inside.has(d)) continue;
      if (d === start) {
        const path = [start];
        for (let n: string | undefined = node; n !== undefined && n !== start; n = prev.get(n)) {
          path.splice(1, 0, n);
        }
        return [...path, start];
      }
      if (!prev.has(d)) {
        prev.set(d, node);
        queue.push(d);
      }
    }
  }
  return [start, start];
}

/**
 * The longest chain of work through the graph: its nodes (dependencies
 * first) and total `weight`. No schedule can finish sooner, however many
 * builders run at once. Nodes must be in topological `order`.
 */
export function criticalPath(
  order: string[],
  deps: DependencyMap,
  weight: (node: string) => number,
): { path: string[]; total: number } {
  const finish = new Map<string, number>();
  const via = new Map<string, string>();
  for (const node of order) {
    let best = 0;
    for (const d of deps.get(node) ?? []) {
      const f = finish.get(d) ?? 0;
      if (f > best) {
        best = f;
        via.set(node, d);
      }
    }
    finish.set(node, best + weight(node));
  }
  let end: string | undefined;
  for (const [node, f] of finish) if (end === undefined || f > finish.get(end)!) end = node;
  const path: string[] = [];
  for (let n = end; n !== undefined; n = via.get(n)) path.unshift(n);
  return { path, total: end === undefined ? 0 : finish.get(end)! };
}
