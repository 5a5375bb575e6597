/**
 * A file's variables, in the maps melange substitutes from: what is
 * replaced when the file is read (pkg/config's buildConfigMap with the
 * var-transforms applied; the package's fields as written), what is known
 * once the package's own fields are replaced (range subpackages, and the
 * strict pass over dependencies and environment packages), that map
 * without the transforms (melange's pass over `replaces` and the
 * priorities has none), and what steps see (pkg/build's
 * NewSubstitutionMap).
 */
import { archVars } from "./arch.ts";
import { fail } from "./context.ts";
import { goReplaceAll } from "./goregexp.ts";
import type { Config } from "./load.ts";
import { replaceKnown, substitute, type Vars } from "./subst.ts";

/** The build's workspace and output directories, as melange names them. */
export const WORKSPACE = "/home/build";
export const OUT = `${WORKSPACE}/melange-out`;

/** A file's variables, by where melange uses them. */
export interface FileVars {
  /** What steps see (`package.version`, `targets.destdir`, `build.arch`, `vars.x`, transforms...). */
  step: Vars;
  /** What is replaced when the file is read: the package's fields as written, vars, transforms. */
  readTime: Vars;
  /** What is known once the package's fields are replaced (they may name vars). */
  later: Vars;
  /** `later` before the var-transforms (a transform may also replace a var of its name). */
  laterPlain: Vars;
}

/**
 * The longest value a var-transform reads. RE2 is linear, but re2js takes
 * about 0.7 s per MiB on a pattern such as `(a+)+$`: with this limit any
 * transform is decided in milliseconds, and a 4 MB build file in well under
 * 2 s (issue 20). Wolfi's transforms read versions of a few dozen characters.
 */
export const MAX_TRANSFORM_INPUT = 64 * 1024;

/** The package's fields every map has (melange's step map has no description). */
function packageVars(name: string, version: string, epoch: string): Vars {
  return new Map([
    ["package.name", name],
    ["package.version", version],
    ["package.epoch", epoch],
    ["package.full-version", `${version}-r${epoch}`],
  ]);
}

/** The variables steps see: {@link fileVars}'s `step`. */
export function baseVars(config: Config, arch: string): Vars {
  return fileVars(config, arch).step;
}

/** `a` with `b`'s entries added. */
const merged = (a: Vars, b: Iterable<[string, string]>): Vars => new Map([...a, ...b]);

/** The file's variables for `arch`, in each of melange's maps. */
export function fileVars(config: Config, arch: string): FileVars {
  const d = config.data;
  const p = d.package;
  const epoch = String(p.epoch ?? 0);
  const archs = Object.entries(archVars(arch));
  const written = packageVars(p.name, p.version, epoch);
  const vars = resolveVars(config, merged(written, [...targets(p.name), ...archs]));
  const description = p.description ?? "";
  const readPlain = merged(written, [["package.description", description], ...vars]);
  const readTime = merged(readPlain, transforms(config, merged(written, vars)));
  // melange replaces the package's fields first, then makes its other maps
  // from them (a name or version may name a var).
  const name = replaceKnown(p.name, readTime);
  const version = replaceKnown(p.version, readTime);
  let later = readTime, laterPlain = readPlain, pkg = written;
  if (name !== p.name || version !== p.version || description.includes("${{")) {
    pkg = packageVars(name, version, epoch);
    laterPlain = merged(pkg, [
      ["package.description", replaceKnown(description, readTime)],
      ...vars,
    ]);
    later = merged(laterPlain, transforms(config, merged(pkg, vars)));
  }
  const step = merged(pkg, [...targets(name), ...archs]);
  for (const [k, v] of later) if (k.startsWith("vars.")) step.set(k, v);
  for (const k of Object.keys(d.options ?? {})) step.set(`options.${k}.enabled`, "false");
  return { step, readTime, later, laterPlain };
}

/** The directories steps know by the package's name. */
function targets(name: string): [string, string][] {
  return [
    ["package.srcdir", WORKSPACE],
    ["targets.outdir", OUT],
    ["targets.destdir", `${OUT}/${name}`],
    ["targets.contextdir", `${OUT}/${name}`],
    ["context.name", name],
  ];
}

/**
 * The var-transforms' outputs, in order, each `from` substituted in `scope`
 * (the package's name, version, epoch and full version, and vars: what
 * both of melange's maps have; melange refuses the description where steps
 * are compiled, and `build.arch` or `targets.*` where the file is read)
 * with the earlier transforms.
 */
function transforms(config: Config, scope: Vars): [string, string][] {
  const out: [string, string][] = [];
  const known = new Map(scope);
  (config.data["var-transforms"] ?? []).forEach((t: Record<string, string>, i: number) => {
    try {
      const from = substitute(t.from, known);
      if (from.length > MAX_TRANSFORM_INPUT) {
        throw new Error(
          `from is ${from.length} characters once substituted; transforms take at most ` +
            `${MAX_TRANSFORM_INPUT} (they are meant for versions and names)`,
        );
      }
      const value = goReplaceAll(from, t.match, t.replace ?? "");
      known.set(`vars.${t.to}`, value);
      out.push([`vars.${t.to}`, value]);
    } catch (err) {
      fail(config, `var-transforms[${i}]`, err);
    }
  });
  return out;
}

/**
 * `vars` may refer to each other in any order: each is substituted once
 * the vars it names are, in dependency order (Kahn's algorithm, so a long
 * chain costs linear time, not a pass per link). A var left over (in a
 * cycle, or naming an undefined variable) is reported with its own error,
 * the first in file order. Returns the `vars.*` entries. (melange itself
 * takes its vars in Go's random map order and knows no other variable
 * there: a file whose vars refer to anything compiles with it only by
 * chance, or not at all.)
 */
function resolveVars(config: Config, scope: Vars): Vars {
  const vars = new Map(scope);
  const pending = new Map<string, string>(Object.entries(config.data.vars ?? {}));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const ready: string[] = [];
  for (const [k, v] of pending) {
    const deps = new Set(
      [...v.matchAll(/\$\{\{\s*vars\.([A-Za-z0-9._-]+)\s*\}\}/g)].map((m) => m[1])
        .filter((d) => pending.has(d)),
    );
    waitingOn.set(k, deps.size);
    for (const d of deps) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(k);
    if (!deps.size) ready.push(k);
  }
  while (ready.length) {
    const k = ready.pop()!;
    try {
      vars.set(`vars.${k}`, substitute(pending.get(k)!, vars));
    } catch {
      continue; // names an undefined variable: reported below
    }
    pending.delete(k);
    for (const d of dependents.get(k) ?? []) {
      const n = waitingOn.get(d)! - 1;
      waitingOn.set(d, n);
      if (n === 0) ready.push(d);
    }
  }
  const [first] = pending;
  if (!first) {
    return new Map([...vars].filter(([k]) => k.startsWith("vars.")));
  }
  try {
    substitute(first[1], vars);
  } catch (err) {
    fail(config, `vars.${first[0]}`, err);
  }
  fail(config, `vars.${first[0]}`, "refers to itself through other vars");
}

/** What a subpackage's steps see beside the file's variables. */
export function subpackageVars(name: string): Record<string, string> {
  return {
    "subpkg.name": name,
    "context.name": name,
    "targets.subpkgdir": `${OUT}/${name}`,
    "targets.contextdir": `${OUT}/${name}`,
  };
}
