/**
 * The last stage of planning: cutting cycles (test needs inside a cycle,
 * then needs a bootstrap repository meets), the cycles left with one path
 * through each, and the topological order; and the cycles as one message.
 */
import type { ApkPackage } from "../apk/index.ts";
import { candidates, universe } from "../apk/resolve.ts";
import { parseDependency } from "../apk/version.ts";
import { cyclePath, cycles, type DependencyMap, topologicalOrder } from "./graph.ts";
import type { Plan, PlanEdge, PlannedPackage } from "./plan.ts";

/** Cuts what a bootstrap repository or a test edge breaks, then orders what is left. */
export function order(
  arch: string,
  nodes: Map<string, PlannedPackage>,
  all: PlanEdge[],
  excluded: Plan["excluded"],
  bootstrap: ApkPackage[],
): Plan {
  const offered = universe(
    [{ repository: { url: "bootstrap:" }, arch, packages: bootstrap }],
    arch,
  );
  let edges = all;
  const cut: Plan["cut"] = [];
  for (let round = 0; round < 2; round++) {
    const inCycle = new Map<string, number>();
    cycles(dependencyMap(nodes, edges)).forEach((scc, i) => scc.forEach((n) => inCycle.set(n, i)));
    if (!inCycle.size) break;
    edges = edges.filter((e) => {
      const same = inCycle.has(e.from) && inCycle.get(e.from) === inCycle.get(e.to);
      if (!same) return true;
      if (e.kind === "test") {
        cut.push({ ...e, why: "a test need inside a cycle (tests run after the builds)" });
        return false;
      }
      if (round === 1 && candidates(offered, parseDependency(e.dep)).length) {
        cut.push({ ...e, why: "met from the bootstrap repository" });
        return false;
      }
      return true;
    });
  }
  const deps = dependencyMap(nodes, edges);
  for (const node of nodes.values()) node.needs = [...deps.get(node.name)!].sort();
  const found = cycles(deps).map((packages) => {
    const inside = new Set(packages);
    return {
      packages,
      path: cyclePath(packages, deps),
      edges: edges.filter((e) => inside.has(e.from) && inside.has(e.to)),
    };
  });
  const packages = topologicalOrder(deps).map((n) => nodes.get(n)!);
  return { arch, packages, edges, cut, cycles: found, excluded };
}

function dependencyMap(nodes: Map<string, PlannedPackage>, edges: PlanEdge[]): DependencyMap {
  const deps: DependencyMap = new Map();
  for (const name of nodes.keys()) deps.set(name, new Set());
  for (const e of edges) deps.get(e.from)!.add(e.to);
  return deps;
}

/**
 * The cycles of a plan as one error message: each cycle's path with the
 * need behind every step, and how to break it.
 */
export function cyclesMessage(plan: Plan): string {
  const lines = [`the packages' dependencies form ${plan.cycles.length} cycle(s) (${plan.arch}):`];
  for (const c of plan.cycles) {
    const why = (from: string, to: string) => {
      const e = c.edges.find((x) => x.from === from && x.to === to)!;
      return `${to} (${e.kind}: ${e.dep})`;
    };
    const steps = c.path.slice(1).map((to, i) => why(c.path[i], to));
    lines.push(`  ${c.path[0]} needs ${steps.join(", which needs ")}`);
  }
  const names = [...new Set(plan.cycles.flatMap((c) => c.edges.map((e) => e.output)))].sort();
  lines.push(
    `break a cycle with --bootstrap-repository DIR|URL: a repository that already has one of ` +
      `${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""} (its need is then met ` +
      `from there, and the package is rebuilt in this run)`,
  );
  return lines.join("\n");
}
