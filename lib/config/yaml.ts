/**
 * YAML to a small tree that keeps what melange files need and plain
 * parsers lose: every scalar's source text (`1.10` stays "1.10"), whether
 * it was quoted, and the line and column of every node, for errors. The
 * `yaml` package parses (failsafe schema, so no scalar is reinterpreted);
 * aliases and `<<` merge keys are expanded here, with a limit against
 * alias bombs.
 */
import { YAML } from "../yamlmod.ts";
const { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } = YAML;
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

/** Most nodes a document may have once aliases are expanded. */
const MAX_NODES = 500_000;
/** Most nodes aliases may add: a few anchors can otherwise multiply (alias bombs). */
const MAX_ALIAS_NODES = 100_000;
/** Deepest nesting of mappings and lists. */
const MAX_DEPTH = 200;

/**
 * Most lines, and most commas, a document may have. Parsing costs a few
 * microseconds per value, so 200k one-line vars took seconds before the
 * first check could run; counting lines and commas (every value of a block
 * collection has its own line, every flow item a comma) bounds that cost
 * from the text alone. Real build files have a few thousand lines.
 */
export const MAX_LINES = 25_000;

function count(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/**
 * What each alias refers to: the last node anchored with its name before
 * it, in document order, as the yaml package's `Alias.resolve` has it; but
 * found in one pass, where `resolve` walks the whole document per alias
 * (3,700 aliases took 20 s).
 */
function aliasTargets(doc: Parameters<typeof visit>[0]): Map<unknown, unknown> {
  const targets = new Map<unknown, unknown>();
  const anchors = new Map<string, unknown>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if ((node as { anchor?: string }).anchor) {
        anchors.set((node as { anchor: string }).anchor, node);
      }
    },
  });
  return targets;
}

/** Parses one YAML document; syntax errors name `file:line:col`. */
export function parseYaml(text: string, file: string): YNode {
  const lines = count(text, "\n");
  const commas = lines > MAX_LINES ? 0 : count(text, ",");
  if (lines > MAX_LINES || commas > MAX_LINES) {
    throw new UserError(
      `${file}: document too large: ${lines > MAX_LINES ? `${lines} lines` : `${commas} commas`} ` +
        `(at most ${MAX_LINES} are read)`,
    );
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    schema: "failsafe",
    lineCounter: lc,
    // Checked below in linear time: the yaml package's own check compares
    // every key with every other (quadratic: 200k vars took minutes).
    uniqueKeys: false,
    prettyErrors: false,
  });
  const first = doc.errors[0];
  if (first) {
    const p = lc.linePos(first.pos[0]);
    let what = first.message.split("\n")[0].replace(/ at line \d+, column \d+.*$/, "");
    if (/call stack/i.test(what)) what = `nested more than ${MAX_DEPTH} levels deep`;
    throw new UserError(`${file}:${p.line}:${p.col}: invalid YAML: ${what}`);
  }
  let targets: Map<unknown, unknown> | undefined;
  let budget = MAX_NODES;
  let aliasBudget = MAX_ALIAS_NODES;
  let inAlias = 0;
  const pos = (range: [number, number, number] | null | undefined): Pos => {
    const p = lc.linePos(range?.[0] ?? 0);
    return { line: p.line, col: p.col };
  };
  // deno-lint-ignore no-explicit-any
  const convert = (n: any, depth: number): YNode => {
    if (--budget < 0 || depth > MAX_DEPTH || (inAlias && --aliasBudget < 0)) {
      const p = pos(n?.range);
      const why = depth > MAX_DEPTH
        ? `nested more than ${MAX_DEPTH} levels deep`
        : budget < 0
        ? `more than ${MAX_NODES} values`
        : `aliases expand to more than ${MAX_ALIAS_NODES} values`;
      throw new UserError(`${file}:${p.line}:${p.col}: document too large: ${why}`);
    }
    if (isAlias(n)) {
      const target = (targets ??= aliasTargets(doc)).get(n);
      if (!target) {
        const p = pos(n.range);
        throw new UserError(`${file}:${p.line}:${p.col}: undefined YAML alias *${n.source}`);
      }
      inAlias++;
      try {
        return convert(target, depth + 1);
      } finally {
        inAlias--;
      }
    }
    if (isMap(n)) {
      const entries: { key: string; keyPos: Pos; value: YNode }[] = [];
      const explicit: typeof entries = [];
      const merged: typeof entries = [];
      const keys = new Set<string>();
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
        if (keys.has(key)) {
          throw new UserError(
            `${file}:${keyPos.line}:${keyPos.col}: invalid YAML: duplicate key "${key}"`,
          );
        }
        keys.add(key);
        explicit.push({ key, keyPos, value });
      }
      const seen = new Set(keys);
      for (const e of merged) if (!seen.has(e.key)) entries.push(e), seen.add(e.key);
      for (const e of explicit) entries.push(e);
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
