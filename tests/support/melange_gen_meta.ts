/**
 * Generated package metadata for tests/support/melange_gen.ts: descriptions
 * in YAML's scalar styles, dependencies and priorities, environment
 * packages, each with `${{...}}` references to what melange replaces when it
 * reads a file (and substitutes strictly after).
 */
import { readTimeNames, ref, scalar, type Scope, someRef, word } from "./melange_gen_base.ts";

/** `description:` in one of YAML's styles, with references to read-time names. */
export function description(s: Scope, base: string): string[] {
  const r = s.r;
  const text = `${base} ${someRef(s, readTimeNames(s), 0.1)}`;
  switch (r.int(5)) {
    case 0:
      return [`description: ${scalar(r, text)}`];
    case 1:
      // One line only: a line break inside metadata is refused on purpose (see above).
      return [`description: ${r.pick(["|", "|-"])}`, `  ${text}`];
    case 2:
      return [`description: ${r.pick([">", ">-"])}`, `  ${text}`, `  and ${word(r)}`];
    default:
      return [`description: ${JSON.stringify(text)}`];
  }
}

/** `dependencies:` whose entries refer to read-time names (the strict pass after reading). */
export function dependencies(s: Scope, sub = false): string[] {
  const r = s.r;
  if (r.chance(0.4)) return [];
  const names = readTimeNames(s);
  // melange's pass over replaces knows no transforms: a spaced reference to one is refused.
  const plain = names.filter((n) => !s.transforms.some((t) => n === `vars.${t.name}`));
  const list = (kind: string) => {
    const n = r.int(3);
    if (!n) return [];
    const known = kind === "replaces" && r.chance(0.8) ? plain : names;
    return [`  ${kind}:`, ...Array.from({ length: n }, () => `    - ${scalar(r, dep(s, known))}`)];
  };
  const prios = r.chance(0.5) ? [`  provider-priority: ${scalar(r, priority(s, sub))}`] : [];
  return ["dependencies:", ...list("runtime"), ...list("provides"), ...list("replaces"), ...prios];
}

/** One dependency: a name with a reference, or `name=` a version (apk's grammar, see above). */
function dep(s: Scope, names: string[]): string {
  const r = s.r;
  if (r.chance(0.3)) {
    return `${word(r)}=${ref(r, r.pick(["package.version", "package.full-version"]))}`;
  }
  return `${word(r)}-${someRef(s, names)}`;
}

/** A priority: a number or a reference to one (spaced, one a subpackage's melange refuses). */
function priority(s: Scope, sub: boolean): string {
  const numeric = [
    "vars.prio",
    ...s.transforms.filter((t) => t.numeric).map((t) => `vars.${t.name}`),
  ];
  const spaced = s.r.chance(sub ? 0.1 : 0.4);
  return s.r.chance(0.3) ? String(s.r.int(100)) : ref(s.r, s.r.pick(numeric), spaced);
}

/** An environment's packages, with references resolved strictly after reading. */
export function packagesLines(s: Scope): string[] {
  const r = s.r;
  const names = readTimeNames(s);
  const pkgs = [
    "busybox",
    ...Array.from({ length: r.int(3) }, () => `${word(r)}-${someRef(s, names)}`),
  ];
  return [
    "environment:",
    "  contents:",
    "    packages:",
    ...pkgs.map((p) => `      - ${scalar(r, p)}`),
  ];
}
