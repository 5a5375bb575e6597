/**
 * What two compiles of a melange file must agree on, taken from Go melange's
 * `compile` JSON and from ours alike: the environment's packages (as a set),
 * the steps (names, `uses:`, working directories, scripts normalized, nesting),
 * the subpackages and the test sections, and each package's description and
 * dependencies (what goes into its metadata). Go melange keeps `if:`-false steps
 * and subpackages with their condition substituted; they are decided here.
 */
import sh from "mvdan-sh";
import type { CompiledBuild, CompiledStep } from "../../lib/config/mod.ts";
import { evaluate, substitute, type Vars } from "../../lib/config/subst.ts";

/** One step as compared. */
export interface StepView {
  name?: string;
  uses?: string;
  runs?: string;
  workdir?: string;
  pipeline: StepView[];
}

/** A test section as compared. */
export interface TestView {
  packages: string[];
  pipeline: StepView[];
}

/** A package's metadata as compared: its description and dependencies, empty ones left out. */
export interface MetaView {
  description?: string;
  dependencies?: Record<string, string | string[]>;
}

/** A compiled file as compared. */
export interface BuildView {
  meta: MetaView;
  packages: string[];
  pipeline: StepView[];
  subpackages: { name: string; meta: MetaView; pipeline: StepView[]; test?: TestView }[];
  test?: TestView;
}

const parser = sh.syntax.NewParser(sh.syntax.KeepComments(false));
const printer = sh.syntax.NewPrinter();

/**
 * A script without comments, re-printed by mvdan/sh's printer (what melange
 * does to every script it compiles); a script it cannot parse has its comment
 * lines dropped and its lines trimmed.
 */
export function normalizeScript(script: string): string | undefined {
  let out: string;
  try {
    // Blank lines go: melange prints statement by statement, dropping those
    // between top-level statements only.
    // Whole comment lines go first: left to the parser, their positions can
    // still move a keyword (`elif`) onto a line of its own.
    const text = script.split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n");
    out = printer.Print(parser.Parse(text, "runs")).split("\n").filter((l: string) => l.trim())
      .join("\n");
  } catch {
    out = script.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
      .join("\n");
  }
  return out.trim() || undefined;
}

const uniqSorted = (xs: string[]) => [...new Set(xs)].sort();

// deno-lint-ignore no-explicit-any
type Json = any;

const DEPENDENCY_LISTS = ["runtime", "provides", "replaces"];
const PRIORITIES = ["provider-priority", "replaces-priority"];

/** The metadata of a package or subpackage, from either side's JSON (same keys). */
function metaOf(p: Json): MetaView {
  const v: MetaView = {};
  if (p?.description) v.description = p.description;
  const deps: Record<string, string | string[]> = {};
  for (const k of DEPENDENCY_LISTS) if (p?.dependencies?.[k]?.length) deps[k] = p.dependencies[k];
  for (const k of PRIORITIES) {
    const x = p?.dependencies?.[k];
    if (x !== undefined && x !== "") deps[k] = String(x);
  }
  if (Object.keys(deps).length) v.dependencies = deps;
  return v;
}

function melangeSteps(steps: Json[] | undefined): StepView[] {
  return (steps ?? []).filter((s) => !s.if || evaluate(s.if)).map((s) => {
    const v: StepView = { pipeline: melangeSteps(s.pipeline) };
    if (s.name) v.name = s.name;
    if (s.uses) v.uses = s.uses;
    const runs = s.runs ? normalizeScript(s.runs) : undefined;
    if (runs) v.runs = runs;
    if (s["working-directory"]) v.workdir = s["working-directory"];
    return v;
  });
}

function melangeTest(t: Json): TestView | undefined {
  if (!t) return undefined;
  return {
    packages: uniqSorted(t.environment?.contents?.packages ?? []),
    pipeline: melangeSteps(t.pipeline),
  };
}

/**
 * The view of what Go melange's `compile` printed. melange v0.59.1
 * substitutes a subpackage's `if:` into a copy of the subpackage (the range
 * variable in pkg/build/compile.go) and prints it as read; `subpackageVars`
 * gives the variables its compile meant to substitute (by subpackage name),
 * for conditions that still name some.
 */
export function fromMelange(j: Json, subpackageVars?: (name: string) => Vars): BuildView {
  const keep = (s: Json) =>
    !s.if || evaluate(subpackageVars ? substitute(s.if, subpackageVars(s.name), true) : s.if);
  const v: BuildView = {
    meta: metaOf(j.package),
    packages: uniqSorted(j.environment?.contents?.packages ?? []),
    pipeline: melangeSteps(j.pipeline),
    subpackages: (j.subpackages ?? []).filter(keep).map((
      s: Json,
    ) => {
      const sv: BuildView["subpackages"][0] = {
        name: s.name,
        meta: metaOf(s),
        pipeline: melangeSteps(s.pipeline),
      };
      const t = melangeTest(s.test);
      if (t) sv.test = t;
      return sv;
    }),
  };
  const t = melangeTest(j.test);
  if (t) v.test = t;
  return v;
}

function ourSteps(steps: CompiledStep[]): StepView[] {
  return steps.map((s) => {
    const v: StepView = { pipeline: ourSteps(s.pipeline ?? []) };
    if (s.name) v.name = s.name;
    if (s.uses) v.uses = s.uses;
    const runs = s.runs ? normalizeScript(s.runs) : undefined;
    if (runs) v.runs = runs;
    if (s.workingDirectory) v.workdir = s.workingDirectory;
    return v;
  });
}

/** The view of our compile. */
export function fromOurs(c: CompiledBuild): BuildView {
  const test = (t: CompiledBuild["test"]): TestView | undefined =>
    t && { packages: uniqSorted(t.environment.contents.packages), pipeline: ourSteps(t.pipeline) };
  const v: BuildView = {
    meta: metaOf(c.package),
    packages: uniqSorted(c.environment.contents.packages),
    pipeline: ourSteps(c.pipeline),
    subpackages: c.subpackages.map((s) => {
      const sv: BuildView["subpackages"][0] = {
        name: s.name,
        meta: metaOf(s),
        pipeline: ourSteps(s.pipeline),
      };
      const t = test(s.test);
      if (t) sv.test = t;
      return sv;
    }),
  };
  const t = test(c.test);
  if (t) v.test = t;
  return v;
}

/**
 * The view without the scripts of the steps inside any `uses:` of `names`
 * (pipelines written differently on each side, whose structure must still
 * agree).
 */
export function withoutScriptsOf(v: BuildView, names: (uses: string) => boolean): BuildView {
  const steps = (xs: StepView[], inside: boolean): StepView[] =>
    xs.map((s) => {
      const hide = inside || (s.uses !== undefined && names(s.uses));
      const out: StepView = { ...s, pipeline: steps(s.pipeline, hide) };
      if (inside) delete out.runs;
      return out;
    });
  const test = (t?: TestView) => t && { ...t, pipeline: steps(t.pipeline, false) };
  return {
    ...v,
    pipeline: steps(v.pipeline, false),
    subpackages: v.subpackages.map((s) => ({
      ...s,
      pipeline: steps(s.pipeline, false),
      ...(s.test ? { test: test(s.test) } : {}),
    })),
    ...(v.test ? { test: test(v.test) } : {}),
  };
}

/** Where two views first differ, one line per difference (at most `max`). */
export function viewDifferences(want: unknown, got: unknown, max = 5): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= max || JSON.stringify(a) === JSON.stringify(b)) return;
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`));
      return;
    }
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a)) {
      const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
      for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
        walk(ra[k], rb[k], `${path}.${k}`);
      }
      return;
    }
    const show = (v: unknown) => JSON.stringify(v)?.slice(0, 200);
    out.push(`${path || "."}: melange ${show(a)}, ours ${show(b)}`);
  };
  walk(want, got, "");
  return out;
}
