/**
 * What a compiled build may put into package metadata and host paths.
 *
 * Names become file names (`<out>/<arch>/<name>-<version>.apk`) and
 * directories, and every field becomes a `key = value` line of `.PKGINFO`
 * and an `X:value` line of APKINDEX, with lists joined by spaces. So names
 * follow melange's grammar (which also keeps them one path component),
 * versions apk-tools' grammar, dependencies apk's `[!]name[op version]`,
 * and no field holds a line break, a NUL or another control character.
 */
import { isValidVersion } from "../apk/version.ts";
import { type Ctx, fail } from "./context.ts";
import type { CompiledBuild, CompiledPackage, CompiledStep, CompiledSubpackage } from "./types.ts";

/** melange's package name grammar (pkg/config: packageNameRegex). */
export const PACKAGE_NAME = /^[a-zA-Z\d][a-zA-Z\d+_.-]*$/;

/** Most subpackages a file may define once ranges are unrolled. */
export const MAX_SUBPACKAGES = 1000;

/**
 * Most steps a build may run (nested steps counted): each is an exec in the
 * LLB graph, and BuildKit takes minutes to start a graph of 10,000. Real
 * builds have tens to a few hundred.
 */
export const MAX_STEPS = 5000;

/** Longest name or version: the package file name must stay under NAME_MAX (255). */
const MAX_NAME = 128;
const MAX_VERSION = 100;

/** A control character (tab aside; DEL included), or a lone surrogate (no UTF-8 for it). */
const BAD_TEXT =
  // deno-lint-ignore no-control-regex
  /[\0-\x08\n-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `name` is not a package name, or undefined when it is one. */
export function packageNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "package name is empty";
  if (name.length > MAX_NAME) return `package name is longer than ${MAX_NAME} characters`;
  if (!PACKAGE_NAME.test(name)) {
    return `invalid package name ${JSON.stringify(name)}: a name starts with a letter or digit ` +
      `and has only letters, digits and + _ . -`;
  }
  return undefined;
}

/** Why `text` cannot be a metadata field, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  const m = BAD_TEXT.exec(text);
  if (!m) return undefined;
  const c = m[0].charCodeAt(0);
  const what = c === 10
    ? "a line break"
    : c === 0
    ? "a NUL character"
    : c >= 0xd800
    ? "an unpaired surrogate (not valid UTF-8)"
    : `the control character U+${c.toString(16).padStart(4, "0").toUpperCase()}`;
  return `${JSON.stringify(text.slice(0, 60))} contains ${what}`;
}

/** Why `dep` is not an apk dependency (`[!]name[@tag][op version]`), or undefined. */
export function dependencyProblem(dep: string): string | undefined {
  const bad = textProblem(dep);
  if (bad) return bad;
  if (dep === "" || /\s/.test(dep)) {
    return `invalid dependency ${
      JSON.stringify(dep)
    }: expected one [!]name[op version] without spaces`;
  }
  const m = /^!?([^<>=~]+)(?:([<>=~]+)(.*))?$/.exec(dep);
  if (!m) return `invalid dependency ${JSON.stringify(dep)}: expected [!]name[op version]`;
  // Any run of < > = ~ is an operator to apk-tools (`==` is `=`).
  if (m[2] !== undefined) {
    if (!isValidVersion(m[3])) {
      return `invalid dependency ${JSON.stringify(dep)}: "${m[3]}" is not an apk version`;
    }
  }
  return undefined;
}

/**
 * Checks the names of the package and of every subpackage (before any
 * condition is decided, as melange does): the grammar, no duplicates, none
 * named like the package. `subpackages` are the unrolled names with their
 * field paths.
 */
export function checkNames(
  ctx: Ctx,
  packageName: string,
  subpackages: { name: string; path: string }[],
): void {
  const bad = packageNameProblem(packageName);
  if (bad) fail(ctx.config, "package.name", bad);
  if (subpackages.length > MAX_SUBPACKAGES) {
    fail(
      ctx.config,
      "subpackages",
      `${subpackages.length} subpackages; at most ${MAX_SUBPACKAGES} are supported`,
    );
  }
  const seen = new Map<string, string>([[packageName, "package.name"]]);
  for (const { name, path } of subpackages) {
    const problem = packageNameProblem(name);
    if (problem) fail(ctx.config, `${path}.name`, problem);
    const first = seen.get(name);
    if (first === "package.name") {
      fail(ctx.config, `${path}.name`, `subpackage has the same name as the package: "${name}"`);
    }
    if (first) fail(ctx.config, `${path}.name`, `duplicate subpackage name "${name}" (${first})`);
    seen.set(name, `${path}.name`);
  }
}

/** Checks every field of the compiled package and subpackages that goes into package metadata. */
export function checkFields(ctx: Ctx, out: CompiledBuild, subpackagePaths: string[]): void {
  const pkg = out.package;
  const version = String(pkg.version ?? "");
  if (version === "") fail(ctx.config, "package.version", "package version must not be empty");
  const full = `${version}-r${pkg.epoch}`;
  if (version.length > MAX_VERSION || !isValidVersion(full)) {
    fail(
      ctx.config,
      "package.version",
      `invalid version ${JSON.stringify(version.slice(0, MAX_VERSION))}: not an apk version ` +
        `(digits and dots, then optionally a letter, _alpha/_beta/_pre/_rc/_p... suffixes, ~hash)`,
    );
  }
  checkPackageFields(ctx, pkg, "package");
  const steps = countSteps([out.pipeline, ...out.subpackages.map((s) => s.pipeline)]);
  if (steps > MAX_STEPS) {
    fail(ctx.config, "pipeline", `${steps} steps; a build may have at most ${MAX_STEPS}`);
  }
  out.subpackages.forEach((sp, i) => checkPackageFields(ctx, sp, subpackagePaths[i]));
}

/** Steps in the lists, nested ones included (without recursion: nesting is data). */
function countSteps(lists: CompiledStep[][]): number {
  let n = 0;
  const todo = [...lists];
  for (let list = todo.pop(); list; list = todo.pop()) {
    n += list.length;
    for (const s of list) if (s.pipeline) todo.push(s.pipeline);
  }
  return n;
}

function checkPackageFields(
  ctx: Ctx,
  p: Partial<CompiledPackage> | CompiledSubpackage,
  path: string,
): void {
  const text = (value: unknown, field: string) => {
    if (typeof value !== "string") return;
    const bad = textProblem(value);
    if (bad) fail(ctx.config, `${path}.${field}`, bad);
  };
  // A block scalar (`description: |`) ends in a line break; melange keeps it,
  // and packaging drops it. Any other line break could start a metadata line.
  text(
    typeof p.description === "string" ? p.description.replace(/\n+$/, "") : undefined,
    "description",
  );
  text(p.url, "url");
  text(p.commit, "commit");
  (p.copyright ?? []).forEach((c, i) => text(c.license, `copyright[${i}].license`));
  const deps = p.dependencies ?? {};
  for (const kind of ["runtime", "provides", "replaces"] as const) {
    (deps[kind] ?? []).forEach((d, i) => {
      const bad = dependencyProblem(d);
      if (bad) fail(ctx.config, `${path}.dependencies.${kind}[${i}]`, bad);
    });
  }
  for (const kind of ["provider-priority", "replaces-priority"] as const) {
    const v = deps[kind];
    // melange keeps any text; an integer is what apk reads (Wolfi has -1).
    if (v !== undefined && v !== "" && !/^-?\d{1,9}$/.test(String(v))) {
      fail(ctx.config, `${path}.dependencies.${kind}`, `expected an integer, got "${v}"`);
    }
  }
  (p.scriptlets?.trigger?.paths ?? []).forEach((t, i) => {
    const bad = textProblem(t) ?? (/\s/.test(t) ? `"${t}" contains a space` : undefined);
    if (bad) fail(ctx.config, `${path}.scriptlets.trigger.paths[${i}]`, bad);
  });
}
