/**
 * YAML to a small tree that keeps what melange files need and plain
 * parsers lose: every scalar's source text (`1.10` stays "1.10"), whether
 * it was quoted, and the line and column of every node, for errors. The
 * `yaml` package parses (failsafe schema, so no scalar is reinterpreted);
 * aliases and `<<` merge keys are expanded here, with a limit against
 * alias bombs.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { UserError } from "../errors.ts";

/** Where a node starts (1-based). */
export interface Pos {
  line: number;
  col: number;
}

/** A parsed YAML node. */
export type YNode =
  | { kind: "map"; entries: { key: string; keyPos: Pos; value: YNode }[]; pos: Pos }
  | { kind: "seq"; items: YNode[]; pos: Pos }
  | { kind: "scalar"; text: string; quoted: boolean; isNull: boolean; pos: Pos };

const MAX_NODES = 1_000_000;

/** Parses one YAML document; syntax errors name `file:line:col`. */
export function parseYaml(text: string, file: string): YNode {
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    schema: "failsafe",
    lineCounter: lc,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const first = doc.errors[0];
  if (first) {
    const p = lc.linePos(first.pos[0]);
    const what = first.message.split("\n")[0].replace(/ at line \d+, column \d+.*$/, "");
    throw new UserError(`${file}:${p.line}:${p.col}: invalid YAML: ${what}`);
  }
  let budget = MAX_NODES;
  const pos = (range: [number, number, number] | null | undefined): Pos => {
    const p = lc.linePos(range?.[0] ?? 0);
    return { line: p.line, col: p.col };
  };
  // deno-lint-ignore no-explicit-any
  const convert = (n: any, depth: number): YNode => {
    if (--budget < 0 || depth > 200) {
      throw new UserError(
        `${file}:${pos(n?.range).line}:${
          pos(n?.range).col
        }: document too large or too deeply nested`,
      );
    }
    if (isAlias(n)) {
      const target = n.resolve(doc as Document);
      if (!target) {
        const p = pos(n.range);
        throw new UserError(`${file}:${p.line}:${p.col}: undefined YAML alias *${n.source}`);
      }
      return convert(target, depth + 1);
    }
    if (isMap(n)) {
      const entries: { key: string; keyPos: Pos; value: YNode }[] = [];
      const explicit: typeof entries = [];
      const merged: typeof entries = [];
      for (const pair of n.items) {
        // deno-lint-ignore no-explicit-any
        const k: any = pair.key;
        const key = isScalar(k) ? String(k.value ?? "") : "";
        const keyPos = pos(k?.range);
        const value = pair.value == null
          ? { kind: "scalar" as const, text: "", quoted: false, isNull: true, pos: keyPos }
          : convert(pair.value, depth + 1);
        if (key === "<<" && !(isScalar(k) && k.type !== "PLAIN")) {
          const sources = value.kind === "seq" ? value.items : [value];
          for (const s of sources) {
            if (s.kind !== "map") {
              throw new UserError(`${file}:${s.pos.line}:${s.pos.col}: << must merge a mapping`);
            }
            merged.push(...s.entries);
          }
          continue;
        }
        explicit.push({ key, keyPos, value });
      }
      const seen = new Set(explicit.map((e) => e.key));
      for (const e of merged) if (!seen.has(e.key)) entries.push(e), seen.add(e.key);
      entries.push(...explicit);
      return { kind: "map", entries, pos: pos(n.range) };
    }
    if (isSeq(n)) {
      return {
        kind: "seq",
        items: n.items.map((i: unknown) => convert(i, depth + 1)),
        pos: pos(n.range),
      };
    }
    if (isScalar(n)) {
      const text = String(n.value ?? "");
      const quoted = n.type !== "PLAIN";
      const isNull = !quoted &&
        (text === "" || text === "~" || text === "null" || text === "Null" || text === "NULL");
      return { kind: "scalar", text, quoted, isNull, pos: pos(n.range) };
    }
    return { kind: "scalar", text: "", quoted: false, isNull: true, pos: pos(n?.range) };
  };
  return convert(doc.contents, 0);
}
