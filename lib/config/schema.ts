/**
 * A small schema language for YAML trees and the validator that turns a
 * tree into plain data, or into errors naming `file:line:col` and the
 * field's path. Strings keep their source text; booleans and integers are
 * read as YAML 1.1/1.2 plain scalars are.
 */
import type { Pos, YNode } from "./yaml.ts";

/** What a value must look like. */
export type Spec =
  | { t: "string" }
  | { t: "int" }
  | { t: "uint" }
  | { t: "bool" }
  | { t: "any" }
  | { t: "list"; of: Spec }
  | { t: "map"; of: Spec }
  | { t: "object"; fields: Record<string, Spec>; required?: string[] };

/** Shorthands for building specs. */
export const S = {
  str: { t: "string" } as Spec,
  int: { t: "int" } as Spec,
  uint: { t: "uint" } as Spec,
  bool: { t: "bool" } as Spec,
  any: { t: "any" } as Spec,
  list: (of: Spec): Spec => ({ t: "list", of }),
  map: (of: Spec): Spec => ({ t: "map", of }),
  obj: (fields: Record<string, Spec>, required?: string[]): Spec => ({
    t: "object",
    fields,
    required,
  }),
};

/** One validation problem. */
export interface Problem {
  pos: Pos;
  path: string;
  message: string;
}

/** The result of validation: the value, where each path was, and problems. */
export interface Validated {
  // deno-lint-ignore no-explicit-any
  value: any;
  positions: Map<string, Pos>;
  problems: Problem[];
}

const INT = /^([-+]?)(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|\d+)$/;
const TRUE = /^(?:true|True|TRUE|y|Y|yes|Yes|YES|on|On|ON)$/;
const FALSE = /^(?:false|False|FALSE|n|N|no|No|NO|off|Off|OFF)$/;

const describe = (n: YNode) =>
  n.kind === "map"
    ? "a mapping"
    : n.kind === "seq"
    ? "a list"
    : n.isNull
    ? "nothing"
    : `"${n.text}"`;

/** Validates `node` against `spec`. */
export function validate(node: YNode, spec: Spec): Validated {
  const positions = new Map<string, Pos>();
  const problems: Problem[] = [];
  // deno-lint-ignore no-explicit-any
  const walk = (n: YNode, s: Spec, path: string): any => {
    positions.set(path, n.pos);
    const bad = (message: string) => {
      problems.push({ pos: n.pos, path, message });
      return undefined;
    };
    if (s.t === "any") return toPlain(n);
    if (n.kind === "scalar" && n.isNull) return undefined;
    switch (s.t) {
      case "string":
        return n.kind === "scalar" ? n.text : bad(`expected a string, got ${describe(n)}`);
      case "int":
      case "uint": {
        // YAML 1.2 integers as Go's yaml decoder reads them: decimal, 0x, 0o, 0b.
        const m = n.kind === "scalar" ? INT.exec(n.text) : null;
        const v = m ? (m[1] === "-" ? -1 : 1) * Number(m[2]) : NaN;
        if (!Number.isSafeInteger(v) || (s.t === "uint" && v < 0)) {
          const what = s.t === "uint" ? "a non-negative integer" : "an integer";
          return bad(`expected ${what}, got ${describe(n)}`);
        }
        return v;
      }
      case "bool": {
        // Go's yaml decoder also takes YAML 1.1's words for a typed bool.
        if (n.kind === "scalar" && !n.quoted && TRUE.test(n.text)) return true;
        if (n.kind === "scalar" && !n.quoted && FALSE.test(n.text)) return false;
        return bad(`expected true or false, got ${describe(n)}`);
      }
      case "list": {
        if (n.kind !== "seq") return bad(`expected a list, got ${describe(n)}`);
        return n.items.map((item, i) => walk(item, s.of, `${path}[${i}]`)).filter((v) =>
          v !== undefined
        );
      }
      case "map": {
        if (n.kind !== "map") return bad(`expected a mapping, got ${describe(n)}`);
        const out: Record<string, unknown> = {};
        for (const e of n.entries) {
          const v = walk(e.value, s.of, `${path}.${e.key}`);
          out[e.key] = v ?? (s.of.t === "string" ? "" : v);
        }
        return out;
      }
      case "object": {
        if (n.kind !== "map") return bad(`expected a mapping, got ${describe(n)}`);
        const out: Record<string, unknown> = {};
        for (const e of n.entries) {
          const child = path ? `${path}.${e.key}` : e.key;
          const fs = s.fields[e.key];
          if (!fs) {
            positions.set(child, e.keyPos);
            problems.push({ pos: e.keyPos, path: child, message: `unknown field "${e.key}"` });
            continue;
          }
          const v = walk(e.value, fs, child);
          if (v !== undefined) out[e.key] = v;
        }
        for (const r of s.required ?? []) {
          if (out[r] === undefined || out[r] === "") {
            problems.push({
              pos: n.pos,
              path: path ? `${path}.${r}` : r,
              message: `required field "${r}" is missing`,
            });
          }
        }
        return out;
      }
    }
  };
  const value = walk(node, spec, "");
  return { value, positions, problems };
}

/** A tree as plain data (strings for scalars). */
export function toPlain(n: YNode): unknown {
  if (n.kind === "scalar") return n.isNull ? null : n.text;
  if (n.kind === "seq") return n.items.map(toPlain);
  return Object.fromEntries(n.entries.map((e) => [e.key, toPlain(e.value)]));
}
