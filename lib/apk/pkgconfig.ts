/**
 * pkg-config `.pc` files, read as far as the analysis needs: the module's
 * version and the modules it requires (Requires, Requires.private and
 * Requires.internal), with `${var}` references expanded.
 */

/** The parts of a `.pc` file the analysis uses. */
export interface PkgConfig {
  name: string;
  version: string;
  requires: string[];
}

const OPS = new Set(["=", "<", ">", "<=", ">=", "!="]);

/** Parses `.pc` text; undefined when it is not a pkg-config file. */
export function parsePkgConfig(text: string): PkgConfig | undefined {
  const vars: Record<string, string> = {};
  const fields: Record<string, string> = {};
  const expand = (v: string) => v.replace(/\$\{([^}]+)\}/g, (_, k) => vars[k] ?? "");
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const m = /^([A-Za-z0-9_.]+)\s*([:=])\s*(.*)$/.exec(line);
    if (!m) return undefined;
    if (m[2] === "=") vars[m[1]] = expand(m[3]);
    else fields[m[1].toLowerCase()] = expand(m[3]);
  }
  if (fields.name === undefined && fields.version === undefined) return undefined;
  const requires: string[] = [];
  for (const key of ["requires", "requires.private", "requires.internal"]) {
    const toks = (fields[key] ?? "").split(/[\s,]+/).filter(Boolean);
    for (let i = 0; i < toks.length; i++) {
      if (OPS.has(toks[i])) {
        i++; // skip the version after an operator
        continue;
      }
      requires.push(toks[i]);
    }
  }
  return { name: fields.name ?? "", version: fields.version ?? "", requires };
}
