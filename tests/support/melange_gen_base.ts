/**
 * The pieces tests/support/melange_gen.ts builds melange files from: a
 * seeded random source, what a file defines (its scope), `${{...}}`
 * references written the ways users write them, and YAML scalars in their
 * styles.
 */

/** A small seeded PRNG (mulberry32): the same seed, the same files. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

/** A pipeline file the case writes under its --pipeline-dir. */
export interface PipelineDef {
  /** The `uses:` name (`p/a`). */
  name: string;
  inputs: { name: string; required: boolean; default?: string }[];
}

/** What one generated file defines, and what it has left to do. */
export interface Scope {
  r: Rng;
  name: string;
  version: string;
  /** Plain `vars` (values without references), by name. */
  vars: Map<string, string>;
  /** A var whose value refers to another var (see melange_gen.ts on why it is kept to steps). */
  chain?: string;
  /** The var `chain` refers to. */
  chainsTo?: string;
  /** `var-transforms` outputs; `numeric` ones are integers (for priorities). */
  transforms: { name: string; numeric: boolean }[];
  options: string[];
  /** `data:` items by data name. */
  data: Map<string, Record<string, string>>;
  pipelines: PipelineDef[];
  /** The one broken thing this case still has to place somewhere, if any. */
  broken?: string;
}

/** The package's fields melange replaces when it reads a file. */
const PACKAGE_FIELDS = ["package.name", "package.version", "package.epoch", "package.full-version"];

/** Variables only steps see (melange's substitution map, not its read-time replacer). */
const STEP_ONLY = [
  "package.srcdir",
  "targets.outdir",
  "targets.destdir",
  "targets.contextdir",
  "context.name",
  "host.triplet.gnu",
  "host.triplet.rust",
  "cross.triplet.gnu.glibc",
  "cross.triplet.rust.musl",
  "build.arch",
  "build.goarch",
];

/** Names replaced when the file is read: the package's fields, vars, transforms. */
export function readTimeNames(s: Scope): string[] {
  return [
    ...PACKAGE_FIELDS,
    ...[...s.vars.keys()].map((v) => `vars.${v}`),
    ...s.transforms.map((t) => `vars.${t.name}`),
  ];
}

/** Names a step of the package (or of subpackage `sub`) may use. */
export function stepNames(s: Scope, sub?: string): string[] {
  const names = [
    ...readTimeNames(s),
    ...STEP_ONLY,
    ...s.options.map((o) => `options.${o}.enabled`),
    `targets.package.${s.name}`,
  ];
  if (s.chain) names.push(`vars.${s.chain}`);
  if (sub !== undefined) names.push("subpkg.name", "targets.subpkgdir");
  return names;
}

/** `${{name}}` with the spacing users write: none, both sides, one side. */
export function ref(r: Rng, name: string, spaced = r.chance(0.4)): string {
  if (!spaced) return `\${{${name}}}`;
  return r.pick([`\${{ ${name} }}`, `\${{ ${name}}}`, `\${{${name} }}`, `\${{  ${name}\t}}`]);
}

/** A reference to nothing defined, or a malformed one. */
export function badRef(r: Rng): string {
  return r.pick([
    "${{vars.nope}}",
    "${{ package.nope }}",
    "${{vars.x",
    "${{ }}",
    "${{inputs.none}}",
  ]);
}

/**
 * The broken reference this case still owes, placed here with probability p
 * (then it is placed), or a reference to one of `names`.
 */
export function someRef(s: Scope, names: string[], p = 0.15): string {
  if (s.broken === "ref" && s.r.chance(p)) {
    s.broken = undefined;
    return badRef(s.r);
  }
  return ref(s.r, s.r.pick(names));
}

/** A word: lower-case letters and digits. */
export function word(r: Rng, len = 2 + r.int(5)): string {
  let out = r.pick("abcdefghijklmnopqrstuvwxyz".split(""));
  for (let i = 1; i < len; i++) out += r.pick("abcdefghijklmnopqrstuvwxyz0123456789".split(""));
  return out;
}

/** YAML's plain scalars cannot start with these, nor hold `: ` or ` #`. */
const PLAIN_OK = /^[A-Za-z0-9$/._(][^\n]*$/;

/** `text` as a YAML scalar: plain when it can be and the dice say so, else quoted. */
export function scalar(r: Rng, text: string): string {
  const plain = PLAIN_OK.test(text) && !/: |:$| #|\t|\s$/.test(text);
  if (plain && r.chance(0.6)) return text;
  if (!text.includes("\t") && r.chance(0.5)) return `'${text.replaceAll("'", "''")}'`;
  return JSON.stringify(text);
}

/** Lines indented by `n` spaces. */
export function indent(n: number, lines: string[]): string[] {
  return lines.map((l) => (l ? " ".repeat(n) + l : l));
}
