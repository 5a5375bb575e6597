/**
 * Generated pipeline steps, `if:` conditions and the pipeline files that
 * `uses:` names, for tests/support/melange_gen.ts.
 */
import {
  indent,
  type PipelineDef,
  ref,
  scalar,
  type Scope,
  someRef,
  stepNames,
  word,
} from "./melange_gen_base.ts";

/** Where steps are: the package's, a subpackage's (its name), or a pipeline file's (its inputs). */
export interface StepSite {
  sub?: string;
  inputs?: string[];
}

/** Names a step at `site` may use. */
function namesAt(s: Scope, site: StepSite): string[] {
  return [...stepNames(s, site.sub), ...(site.inputs ?? []).map((i) => `inputs.${i}`)];
}

/** A comparison that holds or not, in the forms melange's parser reads. */
function comparison(s: Scope, site: StepSite): string {
  const r = s.r;
  const arch = r.pick(["x86_64", "aarch64"]);
  const [v, value] = s.vars.size ? r.pick([...s.vars]) : ["none", ""];
  const forms = [
    () => `${ref(r, "build.arch")} ${r.pick(["==", "!="])} '${arch}'`,
    () => `${ref(r, "build.goarch")} == "${r.pick(["amd64", "arm64"])}"`,
    // Replaced when read: inside quotes it is a string.
    () => `'\${{vars.${v}}}' == '${r.chance(0.5) ? value : "other"}'`,
    // Quoted when compiled: only the spaced form is left for compile.
    () => `\${{ vars.${v} }} != '${r.chance(0.5) ? value : "other"}'`,
    () => `'a' == 'a'`,
  ];
  if (s.options.length) {
    forms.push(() => `${ref(r, `options.${r.pick(s.options)}.enabled`)} == 'true'`);
  }
  if (site.inputs?.length) {
    forms.push(() => `${ref(r, `inputs.${r.pick(site.inputs!)}`)} != ''`);
  }
  if (site.sub !== undefined) forms.push(() => `${ref(r, "subpkg.name")} == '${site.sub}'`);
  if (!s.vars.size) forms.splice(2, 2);
  return r.pick(forms)();
}

/** An `if:` expression: one comparison, or two joined, perhaps in parentheses. */
export function condition(s: Scope, site: StepSite): string {
  const r = s.r;
  const one = comparison(s, site);
  if (r.chance(0.6)) return one;
  const two = `${one} ${r.pick(["&&", "||"])} ${comparison(s, site)}`;
  return r.chance(0.5) ? `(${two})` : two;
}

/** A condition melange's parser refuses. */
function badCondition(s: Scope): string {
  const [v] = s.vars.size ? [...s.vars.keys()] : ["x"];
  return s.r.pick([
    "${{build.arch}} = 'x86_64'",
    "'a' == 'a' &&",
    "('a' == 'a'",
    "${{build.arch}} == x86_64",
    // The read-time replacement leaves the value unquoted.
    `\${{vars.${v}}} == 'x'`,
    "${{build.nope}} == 'x'",
  ]);
}

/**
 * A shell line that uses a few variables; now and then the package's
 * description, which melange replaces when it reads a build file but does
 * not know in steps.
 */
function script(s: Scope, site: StepSite): string {
  const names = namesAt(s, site);
  if (s.r.chance(0.1)) names.push("package.description");
  const refs = Array.from({ length: 1 + s.r.int(3) }, () => someRef(s, names));
  const line = `echo ${refs.join(" ")}`;
  return s.r.chance(0.3) ? `${line}\nmkdir -p ${ref(s.r, "targets.destdir")}` : line;
}

/** `runs:` as a block scalar (most files) or a one-line scalar. */
function runsLines(s: Scope, text: string): string[] {
  if (!text.includes("\n") && s.r.chance(0.3)) return [`runs: ${scalar(s.r, text)}`];
  return ["runs: |", ...indent(2, text.split("\n"))];
}

/** A `uses:` step of one of the case's pipelines, its `with:` as the dice say. */
function usesStep(s: Scope, site: StepSite): string[] {
  const r = s.r;
  if (s.broken === "missing-pipeline" || !s.pipelines.length) {
    if (s.broken === "missing-pipeline") s.broken = undefined;
    return ["uses: p/missing"];
  }
  const p = r.pick(s.pipelines);
  const given = new Map<string, string>();
  for (const input of p.inputs) {
    const give = input.required ? s.broken !== "missing-input" : r.chance(0.5);
    if (input.required && !give) s.broken = undefined;
    const v = input.name === "expected-sha256" ? checksum(s) : value(s, site);
    if (give) given.set(input.name, v);
  }
  siblingInput(s, p, given);
  const withLines = [...given].map(([k, v]) => `${k}: ${scalar(r, v)}`);
  if (s.broken === "undefined-input") {
    s.broken = undefined;
    withLines.push("nosuch: x");
  }
  return [`uses: ${p.name}`, ...(withLines.length ? ["with:", ...indent(2, withLines)] : [])];
}

/**
 * Now and then a given input takes a sibling's value (`a: ${{inputs.b}}`),
 * one that names no input itself (deeper chains melange resolves in Go's
 * random map order).
 */
function siblingInput(s: Scope, p: PipelineDef, given: Map<string, string>): void {
  const value = (x: PipelineDef["inputs"][0]) => given.get(x.name) ?? x.default ?? "";
  const plain = p.inputs.filter((x) =>
    x.name !== "expected-sha256" && !value(x).includes("inputs.")
  );
  const a = [...given.keys()].find((k) => k !== "expected-sha256");
  const b = plain.find((x) => x.name !== a);
  if (a && b && s.r.chance(0.15)) given.set(a, `${ref(s.r, `inputs.${b.name}`)}-sib`);
}

/**
 * A value for expected-sha256, which melange checks as written: a checksum,
 * or `${{vars.sha}}` (replaced when the file is read); spaced, or not 64
 * hexadecimal digits, it is refused.
 */
function checksum(s: Scope): string {
  const ok = ["ab".repeat(32), "${{vars.sha}}", "${{vars.sha}}", "${{vars.sha}}"];
  return s.r.pick([...ok, s.r.pick(["${{ vars.sha }}", "abc"])]);
}

/** An input's value: a word, a reference, or both. */
function value(s: Scope, site: StepSite): string {
  const r = s.r;
  const names = namesAt(s, site);
  return r.pick([
    () => word(r),
    () => someRef(s, names),
    () => `${word(r)}-${someRef(s, names)}`,
  ])();
}

/** One step: a script, a `uses:`, or a group of nested steps. */
export function step(s: Scope, site: StepSite, depth = 0): string[] {
  const r = s.r;
  const names = namesAt(s, site);
  const lines: string[] = [];
  if (r.chance(0.4)) {
    // Not the chained var: melange leaves `${{vars.b}}` in a name (see melange_gen.ts).
    const plain = names.filter((n) => n !== `vars.${s.chain}`);
    lines.push(`name: ${scalar(r, `step ${r.chance(0.5) ? ref(r, r.pick(plain)) : word(r)}`)}`);
  }
  if (s.broken === "if" && r.chance(0.3)) {
    s.broken = undefined;
    lines.push(`if: ${scalar(r, badCondition(s))}`);
  } else if (r.chance(0.3)) lines.push(`if: ${scalar(r, condition(s, site))}`);
  if (r.chance(0.25)) {
    lines.push(`working-directory: ${scalar(r, `/home/build/${someRef(s, names)}`)}`);
  }
  const kind = r.int(10);
  // Pipeline files use no others (but p/outer): no cycles.
  if (kind < 3 && site.inputs === undefined) {
    lines.push(...usesStep(s, site));
    // melange refuses both in the package's and subpackages' steps, not in tests.
    if (s.broken === "uses-and-runs" && r.chance(0.5)) {
      s.broken = undefined;
      lines.push("runs: echo both");
    }
  } else if (kind < 4 && depth < 2) {
    const n = 1 + r.int(2);
    lines.push(
      "pipeline:",
      ...Array.from({ length: n }, () => item(step(s, site, depth + 1))).flat(),
    );
  } else {
    lines.push(...runsLines(s, script(s, site)));
    if (s.broken === "with-no-uses" && site.inputs === undefined && r.chance(0.3)) {
      s.broken = undefined;
      lines.push("with:", "  x: y");
    }
  }
  return lines;
}

/** `lines` as one list item. */
export function item(lines: string[]): string[] {
  return lines.map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`));
}

/** A list of steps under `key:` (`pipeline:`). */
export function steps(s: Scope, site: StepSite, n: number, key = "pipeline"): string[] {
  return [`${key}:`, ...Array.from({ length: n }, () => item(step(s, site))).flat()];
}

/** The case's pipeline files: `p/a`, `p/b`, and perhaps `p/outer`, which uses one of them. */
export function pipelineFiles(s: Scope): Record<string, string> {
  const r = s.r;
  const files: Record<string, string> = {};
  const count = 1 + r.int(2);
  for (let i = 0; i < count; i++) {
    const def: PipelineDef = { name: `p/${"ab"[i]}`, inputs: [] };
    if (i === 0 && s.vars.has("sha")) def.inputs.push({ name: "expected-sha256", required: false });
    for (let k = 0; k < 1 + r.int(3); k++) {
      const required = r.chance(0.4);
      const name = `${word(r, 3)}${r.chance(0.3) ? "-x" : ""}`;
      if (def.inputs.some((x) => x.name === name)) continue;
      // A default may name a sibling input whose own default is plain.
      const plain = def.inputs.find((x) => x.default && !x.default.includes("${{"));
      const dflt = required
        ? undefined
        : plain && r.chance(0.3)
        ? `${ref(r, `inputs.${plain.name}`)}-d`
        : r.chance(0.3)
        ? `v${ref(r, r.pick(["package.version", "build.arch", "package.name"]))}`
        : word(r);
      def.inputs.push({ name, required, default: dflt });
    }
    s.pipelines.push(def);
    files[def.name] = pipelineText(s, def);
  }
  if (r.chance(0.4)) files["p/outer"] = outerText(s);
  return files;
}

function inputsLines(def: PipelineDef): string[] {
  return [
    "inputs:",
    ...def.inputs.flatMap((x) => [
      `  ${x.name}:`,
      `    description: the ${x.name}`,
      ...(x.required ? ["    required: true"] : []),
      ...(x.default !== undefined ? [`    default: ${JSON.stringify(x.default)}`] : []),
    ]),
  ];
}

function pipelineText(s: Scope, def: PipelineDef): string {
  const r = s.r;
  const site = { inputs: def.inputs.map((x) => x.name) };
  const needs = r.chance(0.5)
    ? [
      "needs:",
      "  packages:",
      `    - tool-${ref(r, `inputs.${r.pick(site.inputs)}`)}`,
      "    - busybox",
    ]
    : [];
  const body = r.chance(0.3) ? steps(s, site, 1 + r.int(2)) : runsLines(s, script(s, site));
  const cond = r.chance(0.2) ? [`if: ${scalar(r, condition(s, site))}`] : [];
  return [`name: ${def.name}`, ...inputsLines(def), ...needs, ...cond, ...body, ""].join("\n");
}

/** A pipeline that uses another, passing its own input on. */
function outerText(s: Scope): string {
  const r = s.r;
  const inner = r.pick(s.pipelines);
  const def: PipelineDef = {
    name: "p/outer",
    inputs: [{ name: "thing", required: false, default: "outer" }],
  };
  // An input of the inner pipeline's name, passed on as itself (`x: ${{inputs.x}}`, as
  // Wolfi's pipelines do): the inner one takes the outer value.
  const same = inner.inputs.find((x) => x.name !== "expected-sha256" && r.chance(0.5));
  if (same) def.inputs.push({ name: same.name, required: false, default: `o-${word(r)}` });
  s.pipelines.push(def);
  const withLines = inner.inputs.filter((x) => x === same || x.required || r.chance(0.3)).map(
    (x) =>
      `${x.name}: ${
        JSON.stringify(
          x === same ? ref(r, `inputs.${x.name}`) : `${ref(r, "inputs.thing")}-${word(r)}`,
        )
      }`,
  );
  return [
    "name: p/outer",
    ...inputsLines(def),
    "pipeline:",
    `  - uses: ${inner.name}`,
    ...(withLines.length ? ["    with:", ...indent(6, withLines)] : []),
    `  - runs: echo ${ref(r, "inputs.thing")}`,
    "",
  ].join("\n");
}
