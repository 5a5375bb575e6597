/**
 * Planning a many-package build: every build file compiled for one
 * architecture, the packages each build and test environment needs matched
 * to the files that build them (by name, `provides` and versions, ranked
 * as apk ranks candidates: lib/apk/resolve.ts), closed over the runtime
 * dependencies of what is installed, and put in topological order.
 *
 * `so:`, `cmd:` and `pc:` names are only known once a package is built
 * (melange's analysis adds them), so a need for one that no file declares
 * and no earlier build (`built`) provides is `deferred`: the scheduler
 * matches it against packages as they finish. Cycles are reported with one
 * path through each; edges inside a cycle to packages a bootstrap
 * repository offers are cut (that need is met from the bootstrap
 * repository), as are test needs inside a cycle (tests run after builds).
 */
import { UserError } from "../errors.ts";
import { buildsFor, type CompiledBuild, compileSync, loadConfigSync } from "../config/mod.ts";
import { pipelineLoader } from "../config/pipelines.ts";
import { readInputText } from "../config/readtext.ts";
import { compileCache } from "./compilecache.ts";
import { type ApkPackage, emptyPackage } from "../apk/index.ts";
import { candidates, type PackageUniverse, universe } from "../apk/resolve.ts";
import type { RepositoryPackage } from "../apk/repository.ts";
import { type Dependency, parseDependency } from "../apk/version.ts";
import { order } from "./order.ts";

export { cyclesMessage } from "./order.ts";

/** One build file's package, as planned. */
export interface PlannedPackage {
  /** The origin package's name (the node's name). */
  name: string;
  /** `version-rEPOCH`. */
  version: string;
  file: string;
  /** The package and its subpackages. */
  outputs: string[];
  /** Packages of this run to build first (after cuts), sorted. */
  needs: string[];
  /** Needs no file of this run provides: met from the repositories. */
  external: string[];
  /** `so:`/`cmd:`/`pc:` needs a package of this run may provide once built. */
  deferred: string[];
  /** `!name` entries of its environments: never chosen as a provider for it. */
  conflicts: string[];
  /** The file compiled for the plan's architecture. */
  compiled: CompiledBuild;
}

/** Why one package needs another. */
export interface PlanEdge {
  /** The package that needs. */
  from: string;
  /** The package built first. */
  to: string;
  kind: "environment" | "test" | "runtime";
  /** The dependency as written (`b-dev>=2`, or the runtime dependency followed). */
  dep: string;
  /** Which output of `to` provides it. */
  output: string;
}

/** A cycle left after cuts: its packages, one path through them and the edges inside. */
export interface PlanCycle {
  packages: string[];
  path: string[];
  edges: PlanEdge[];
}

/** A planned run for one architecture. */
export interface Plan {
  arch: string;
  /** In topological order; packages in or behind a cycle are absent. */
  packages: PlannedPackage[];
  edges: PlanEdge[];
  /** Edges not followed, and why. */
  cut: (PlanEdge & { why: string })[];
  cycles: PlanCycle[];
  /** Files not built for this architecture (their `target-architecture`). */
  excluded: { file: string; name: string; reason: string }[];
}

/** Options of {@link planBuilds}. */
export interface PlanOptions {
  arch: string;
  pipelineDirs?: string[];
  varsFile?: string;
  envFile?: string | string[];
  /** What the bootstrap repositories offer: needs inside a cycle they meet are cut. */
  bootstrap?: ApkPackage[];
  /** Packages built before (the out directory's index): their so:/cmd: provides count. */
  built?: ApkPackage[];
  /** Follow test environments too (default true). */
  tests?: boolean;
  /** Keep compiled files between runs (compilecache.ts; default true). */
  cache?: boolean;
  /** Where (default: `~/.cache/melange2/compiled`). */
  cacheDir?: string;
}

const DEFERRABLE = /^(so|cmd|pc):/;
const PLAN_REPO = { url: "plan:" };

/** Reads, compiles and plans `files` (see the module doc). */
export function planBuilds(files: string[], opts: PlanOptions): Plan {
  const loader = pipelineLoader(opts.pipelineDirs ?? []);
  const cache = opts.cache === false ? undefined : compileCache(inputsOf(opts), opts.cacheDir);
  const nodes = new Map<string, PlannedPackage>();
  const excluded: Plan["excluded"] = [];
  const problems: string[] = [];
  for (const file of files) {
    let compiled: CompiledBuild;
    try {
      const load = () => loadConfigSync(file, { varsFile: opts.varsFile, envFile: opts.envFile });
      compiled = cache
        ? cache.compile(file, readInputText(file), load, opts.arch, loader)
        : compileSync(load(), { arch: opts.arch, loader });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      problems.push(err.message.startsWith(file) ? err.message : `${file}: ${err.message}`);
      continue;
    }
    const name = compiled.package.name;
    if (!buildsFor(compiled.package["target-architecture"], opts.arch)) {
      const targets = compiled.package["target-architecture"]?.join(", ");
      excluded.push({ file, name, reason: `built for ${targets} only` });
      continue;
    }
    const other = nodes.get(name);
    if (other) {
      problems.push(`${file}: package ${name} is also built by ${other.file}`);
      continue;
    }
    nodes.set(name, {
      name,
      version: `${compiled.package.version}-r${compiled.package.epoch}`,
      file,
      outputs: [name, ...compiled.subpackages.map((s) => s.name)],
      needs: [],
      external: [],
      deferred: [],
      conflicts: [],
      compiled,
    });
  }
  if (problems.length) {
    const more = problems.length > 10 ? `\n(and ${problems.length - 10} more)` : "";
    throw new UserError(problems.slice(0, 10).join("\n") + more);
  }
  const u = universe(
    [{ repository: PLAN_REPO, arch: opts.arch, packages: outputsOf(nodes) }],
    opts.arch,
  );
  const builtOrigins = builtProvides(opts.built ?? [], nodes);
  const edges: PlanEdge[] = [];
  for (const node of nodes.values()) edges.push(...needsOf(node, u, builtOrigins, opts));
  return order(opts.arch, nodes, edges, excluded, opts.bootstrap ?? []);
}

/** What compiling reads besides the file: the vars and env files' text. */
function inputsOf(opts: PlanOptions): string[] {
  const envFiles = typeof opts.envFile === "string" ? [opts.envFile] : opts.envFile ?? [];
  const read = (f: string) => {
    try {
      return readInputText(f);
    } catch {
      return "\0unreadable"; // loading the file reports it
    }
  };
  return [
    `vars:${opts.varsFile ? read(opts.varsFile) : ""}`,
    ...envFiles.map((f) => `env:${read(f)}`),
  ];
}

/** Every output of every file as an index record, origin and priority included. */
function outputsOf(nodes: Map<string, PlannedPackage>): ApkPackage[] {
  const out: ApkPackage[] = [];
  for (const node of nodes.values()) {
    const c = node.compiled;
    const parts = [{ ...c.package }, ...c.subpackages];
    for (const part of parts) {
      const p = emptyPackage(part.name, node.version, c.arch);
      p.origin = node.name;
      p.depends = [...(part.dependencies?.runtime ?? [])];
      p.provides = [...(part.dependencies?.provides ?? [])];
      const prio = Number(part.dependencies?.["provider-priority"]);
      if (Number.isFinite(prio)) p.providerPriority = prio;
      out.push(p);
    }
  }
  return out;
}

/** so:/cmd:/pc: names packages built before provide, by the origin of this run that builds them. */
function builtProvides(
  built: ApkPackage[],
  nodes: Map<string, PlannedPackage>,
): Map<string, { origin: string; output: string }> {
  const map = new Map<string, { origin: string; output: string }>();
  for (const p of built) {
    const origin = p.origin ?? p.name;
    if (!nodes.has(origin)) continue;
    for (const prov of p.provides) {
      const name = prov.split("=")[0];
      if (DEFERRABLE.test(name) && !map.has(name)) map.set(name, { origin, output: p.name });
    }
  }
  return map;
}

/** The edges of one package: its environments' needs, closed over runtime dependencies. */
function needsOf(
  node: PlannedPackage,
  u: PackageUniverse,
  built: Map<string, { origin: string; output: string }>,
  opts: PlanOptions,
): PlanEdge[] {
  const c = node.compiled;
  const lists: [PlanEdge["kind"], string[]][] = [["environment", c.environment.contents.packages]];
  if (opts.tests !== false) {
    for (const t of [c.test, ...c.subpackages.map((s) => s.test)]) {
      if (t) lists.push(["test", t.environment.contents.packages]);
    }
  }
  const deps = lists.flatMap(([kind, list]) =>
    list.map((text) => ({ kind, dep: parse(text, node) }))
  );
  const conflicts = new Set(deps.filter((d) => d.dep.conflict).map((d) => d.dep.name));
  node.conflicts = [...conflicts].sort();
  const edges = new Map<string, PlanEdge>();
  const external = new Set<string>();
  const deferred = new Set<string>();
  const seen = new Set<string>();
  const follow = (kind: PlanEdge["kind"], dep: Dependency, text: string) => {
    const key = `${kind}\0${text}`;
    if (seen.has(key)) return;
    seen.add(key);
    const pick = candidates(u, dep).find((p) => !conflicts.has(p.name));
    if (!pick) {
      const earlier = built.get(dep.name);
      if (earlier) return addEdge(edges, node, kind, text, earlier.origin, earlier.output);
      (DEFERRABLE.test(dep.name) ? deferred : external).add(text);
      return;
    }
    addEdge(edges, node, kind, text, (pick as RepositoryPackage).origin!, pick.name);
    for (const r of pick.depends) {
      const rd = parse(r, node);
      if (!rd.conflict) follow(kind === "environment" ? "runtime" : kind, rd, r);
    }
  };
  for (const { kind, dep } of deps) {
    if (!dep.conflict) follow(kind, dep, formatted(dep));
  }
  node.external = [...external].sort();
  node.deferred = [...deferred].sort();
  return [...edges.values()];
}

function formatted(d: Dependency): string {
  return `${d.name}${d.tag ? `@${d.tag}` : ""}${d.op ? `${d.op}${d.version}` : ""}`;
}

function parse(text: string, node: PlannedPackage): Dependency {
  try {
    return parseDependency(text);
  } catch (err) {
    throw new UserError(`${node.file}: ${(err as Error).message}`);
  }
}

function addEdge(
  edges: Map<string, PlanEdge>,
  node: PlannedPackage,
  kind: PlanEdge["kind"],
  dep: string,
  to: string,
  output: string,
): void {
  // A package needing its own output gets it from the repositories (an earlier build).
  if (to === node.name) return;
  // One edge per package needed; the build environment's reason wins over a test's.
  const rank = { environment: 0, runtime: 1, test: 2 };
  const had = edges.get(to);
  if (had && rank[had.kind] <= rank[kind]) return;
  edges.set(to, { from: node.name, to, kind, dep, output });
}
