/**
 * A seeded generator of melange build files for tests/config_melange_test.ts,
 * made to exercise what `compile` decides: vars, var-transforms, `${{...}}`
 * references (with and without spaces) in every kind of field, descriptions
 * in every scalar style, ranges over `data:`, `if:` on steps and
 * subpackages, `uses:` of pipeline files with inputs, nested steps, and in a
 * quarter of the cases one broken thing (an undefined or malformed
 * reference, a bad condition, a missing pipeline or input).
 *
 * Shapes where melange2 differs from melange on purpose are not generated;
 * each is named where it is left out:
 * - metadata with a line break inside (a multi-line `|` description, or a
 *   dependency holding one): melange copies it into .PKGINFO, where it would
 *   start a line of its own; melange2 refuses it.
 * - dependencies that are not apk's `[!]name[op version]` (spaces, a bad
 *   version after `=`): melange keeps them, melange2 refuses them.
 * - a var that refers to another var anywhere but in steps: melange compiles
 *   such a file only when Go's map order happens to take the vars in
 *   dependency order, and then leaves `${{vars.b}}` in what it replaced when
 *   reading (names, descriptions); melange2 resolves vars in dependency
 *   order. The test retries melange on such files (`chained`).
 * - a var that refers to the package's fields: melange refuses it, melange2
 *   resolves it (tests/config_goregexp_test.ts relies on it).
 * - a subpackage `if:` that does not parse: `melange compile` leaves it to
 *   the build, melange2 refuses the file.
 * A subpackage `if:` that names variables is generated, though melange
 * v0.59.1 substitutes it into a copy and prints (and at build time
 * evaluates) it as written, every name empty: melange2 decides it with the
 * variables, as melange's compile means to, and the test reads melange's
 * printed condition the same way (melange_view.ts's fromMelange).
 */
import { indent, readTimeNames, ref, Rng, scalar, type Scope, word } from "./melange_gen_base.ts";
import { dependencies, description, packagesLines } from "./melange_gen_meta.ts";
import { condition, item, pipelineFiles, steps } from "./melange_gen_steps.ts";

/** One generated case. */
export interface GenCase {
  /** The build file. */
  text: string;
  /** Pipeline files by `uses:` name, written as `<pipeline-dir>/<name>.yaml`. */
  pipelines: Record<string, string>;
  /** The var another var refers to: melange compiles such a file only in some runs (see above). */
  chained?: string;
  /** The architecture to compile for (conditions on `build.arch` go either way). */
  arch: string;
}

const BROKEN = [
  "ref",
  "ref",
  "if",
  "missing-pipeline",
  "missing-input",
  "undefined-input",
  "with-no-uses",
  "uses-and-runs",
];

/** The case `index` of the run seeded with `seed` (each case has its own stream). */
export function generateCase(seed: number, index: number): GenCase {
  const r = new Rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const s: Scope = {
    r,
    name: `${word(r, 3)}${r.pick(["", "-lib", "2"])}`,
    version: r.pick(["1.2.3", "0.10", "2.4.1_rc2", "7", "3.0.0", "10.22.333"]),
    vars: new Map(),
    transforms: [],
    options: [],
    data: new Map(),
    pipelines: [],
    broken: r.chance(0.25) ? r.pick(BROKEN) : undefined,
  };
  const vars = varsLines(s);
  const nameText = nameWithVar(s);
  const versionText = versionFromVar(s, vars);
  const head = [...vars, ...transformLines(s), ...dataLines(s), ...optionLines(s)];
  const pipelines = pipelineFiles(s);
  const pkg = packageLines(s, nameText, versionText);
  const env = environmentLines(s);
  const subpackages = subpackagesLines(s);
  const test = r.chance(0.4) ? testLines(s, undefined) : [];
  const pipeline = steps(s, {}, 1 + r.int(3));
  // A broken thing not placed yet goes into a last step of the package's own.
  if (s.broken) pipeline.push(...item(["runs: echo ${{vars.undefined}}"]));
  const text = [...pkg, ...head, ...env, ...pipeline, ...subpackages, ...test, ""];
  const arch = r.pick(["x86_64", "aarch64"]);
  return { text: text.join("\n"), pipelines, chained: s.chainsTo, arch };
}

/**
 * Now and then the package's name refers to a var: `s.name` becomes what
 * it is once replaced; returns the name as written.
 */
function nameWithVar(s: Scope): string {
  const plain = [...s.vars].filter(([k]) => k !== "sha");
  if (!plain.length || s.r.chance(0.95)) return s.name;
  const [k, v] = s.r.pick(plain);
  const text = `${s.name}-\${{vars.${k}}}`;
  s.name = `${s.name}-${v}`;
  return text;
}

/** Now and then the version is a var's (added to `lines`); returns it as written. */
function versionFromVar(s: Scope, lines: string[]): string {
  if (s.r.chance(0.95)) return s.version;
  s.vars.set("ver", s.version);
  lines.push(`  ver: ${scalar(s.r, s.version)}`);
  return "${{vars.ver}}";
}

function packageLines(s: Scope, nameText: string, versionText: string): string[] {
  const r = s.r;
  return [
    "package:",
    `  name: ${nameText}`,
    `  version: ${scalar(r, versionText)}`,
    `  epoch: ${r.int(4)}`,
    ...indent(2, description(s, r.pick(["hello", "the ${{package.name}} package"]))),
    ...indent(2, dependencies(s)),
  ];
}

function varsLines(s: Scope): string[] {
  const r = s.r;
  s.vars.set("prio", String(r.int(50)));
  const n = r.int(4);
  for (let i = 0; i < n; i++) s.vars.set(word(r, 3), r.pick([word(r), `${r.int(9)}.${r.int(20)}`]));
  // A checksum for p/a's expected-sha256 input (see melange_gen_steps.ts).
  if (r.chance(0.3)) s.vars.set("sha", "0123456789abcdef".repeat(4));
  const lines = [...s.vars].map(([k, v]) => `  ${k}: ${scalar(r, v)}`);
  if (r.chance(0.15)) {
    // Referred to from steps only (see above).
    s.chain = "chained";
    s.chainsTo = r.pick([...s.vars.keys()]);
    lines.push(`  chained: ${scalar(r, `${ref(r, `vars.${s.chainsTo}`)}-x`)}`);
  }
  return ["vars:", ...lines];
}

/** Transforms of the version or a var, in the shapes Wolfi uses, with `$1` and `${1}` templates. */
function transformLines(s: Scope): string[] {
  const r = s.r;
  const n = r.int(4);
  if (!n) return [];
  const lines = ["var-transforms:"];
  for (let i = 0; i < n; i++) {
    // Now and then a name only one of melange's two maps has: refused.
    const from = r.chance(0.03)
      ? ref(r, r.pick(["build.arch", "package.description", "targets.destdir"]))
      : r.chance(0.7) || !s.vars.size
      ? ref(r, "package.version")
      : s.transforms.length && r.chance(0.5)
      ? ref(r, `vars.${r.pick(s.transforms).name}`)
      : ref(r, `vars.${r.pick([...s.vars.keys()])}`);
    const [match, replace, numeric] = r.pick(
      [
        ["\\.", "_", false],
        ["^(\\d+)\\.(\\d+).*$", "$1.$2", false],
        ["^(\\d+)\\.(\\d+).*$", "${1}${2}", false],
        ["^(\\d+).*$", "$1", true],
        ["^(\\d+)\\.(\\d+).*$", "$1_$2", false],
        ["_rc(\\d+)$", "-rc.${1}", false],
      ] as const,
    );
    const to = `t${i}${word(r, 2)}`;
    lines.push(
      `  - from: ${scalar(r, from)}`,
      `    match: ${scalar(r, match)}`,
      `    replace: ${scalar(r, replace)}`,
      `    to: ${to}`,
    );
    // Numeric only when the version starts with digits (they all do).
    s.transforms.push({ name: to, numeric: numeric && from.includes("package.version") });
  }
  return lines;
}

function dataLines(s: Scope): string[] {
  const r = s.r;
  if (r.chance(0.5)) return [];
  const items: Record<string, string> = {};
  for (let i = 0; i < 1 + r.int(3); i++) items[word(r, 3)] = word(r);
  s.data.set("things", items);
  return [
    "data:",
    "  - name: things",
    "    items:",
    ...Object.entries(items).map(([k, v]) => `      ${k}: ${v}`),
  ];
}

function optionLines(s: Scope): string[] {
  if (s.r.chance(0.7)) return [];
  s.options.push("fast");
  return ["options:", "  fast:", "    vars:", "      speed: high"];
}

function environmentLines(s: Scope): string[] {
  return s.r.chance(0.7) ? packagesLines(s) : [];
}

/** A `test:` section, the package's or subpackage `sub`'s. */
function testLines(s: Scope, sub: string | undefined): string[] {
  const r = s.r;
  const env = r.chance(0.6) ? indent(2, packagesLines(s)) : [];
  return ["test:", ...env, ...indent(2, steps(s, { sub }, 1 + r.int(2)))];
}

function subpackagesLines(s: Scope): string[] {
  const r = s.r;
  const n = r.int(3) + (s.data.size ? 1 : 0);
  if (!n) return [];
  const out = ["subpackages:"];
  for (let i = 0; i < n; i++) {
    const ranged = s.data.size > 0 && i === n - 1;
    out.push(...indent(2, item(ranged ? rangeSubpackage(s, i) : subpackage(s, i))));
  }
  return out;
}

/** A subpackage; its name may refer to read-time names (a spaced one stays, and is refused). */
function subpackage(s: Scope, i: number): string[] {
  const r = s.r;
  const exact = (name: string) => ref(r, name, r.chance(0.02));
  const suffix = r.chance(0.3) ? exact(r.pick(readTimeNames(s))) : word(r, 3);
  const name = `${r.chance(0.5) ? exact("package.name") : s.name}-${suffix}-s${i}`;
  const lines = [`name: ${scalar(r, name)}`, ...description(s, "part of")];
  // Conditions that parse (see above).
  if (r.chance(0.3)) lines.push(`if: ${scalar(r, condition(s, { sub: name }))}`);
  lines.push(...dependencies(s, true));
  lines.push(...steps(s, { sub: name }, 1 + r.int(2)));
  if (r.chance(0.3)) lines.push(...testLines(s, name));
  return lines;
}

/** A subpackage per `data:` item: `${{range.key}}` and `${{range.value}}` in its fields and steps. */
function rangeSubpackage(s: Scope, i: number): string[] {
  const r = s.r;
  const key = ref(r, "range.key", r.chance(0.02));
  const lines = [
    "range: things",
    `name: ${scalar(r, `${ref(r, "package.name", r.chance(0.02))}-${key}-r${i}`)}`,
    `description: ${scalar(r, `the ${ref(r, "range.value")} one`)}`,
  ];
  if (r.chance(0.3)) lines.push(`if: ${scalar(r, `'\${{range.value}}' != '${word(r)}'`)}`);
  lines.push(
    "pipeline:",
    `  - runs: echo ${ref(r, "range.key", false)} ${ref(r, "range.value", r.chance(0.05))}`,
  );
  return lines;
}
