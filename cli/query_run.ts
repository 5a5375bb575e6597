/** What `melange2 query` and `package-version` run, loaded when they run (cli/query.ts registers them). */
import { hostArch } from "../lib/build/arch.ts";
import { compile, loadConfig } from "../lib/config/mod.ts";
import { UserError } from "../lib/errors.ts";

/** The template `package-version` runs, as melange defines it. */
export const PACKAGE_VERSION = "{{ .Package.Name }}-{{ .Package.Version }}-r{{ .Package.Epoch }}";

/** A Go field name as the YAML key melange maps it to: `TargetArchitecture` → `target-architecture`. */
export function yamlKey(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** A value as Go's text/template prints it: `[a b]` for lists, `map[k:v]` for maps. */
export function goFormat(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return `[${v.map(goFormat).join(" ")}]`;
  if (typeof v === "object") {
    const entries = Object.keys(v).sort().map((k) =>
      `${k}:${goFormat((v as Record<string, unknown>)[k])}`
    );
    return `map[${entries.join(" ")}]`;
  }
  return String(v);
}

/** Runs a template of field references over `data`; anything else is refused by name. */
export function runTemplate(pattern: string, data: unknown): string {
  return pattern.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_, expr: string) => {
    if (expr === ".") return goFormat(data);
    if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(expr)) {
      throw new UserError(
        `template {{ ${expr} }}: only field references such as {{ .Package.Version }} are supported`,
      );
    }
    let v: unknown = data;
    for (const field of expr.slice(1).split(".")) {
      if (v === undefined || v === null || typeof v !== "object" || Array.isArray(v)) {
        throw new UserError(`template {{ ${expr} }}: can't evaluate field ${field}`);
      }
      v = (v as Record<string, unknown>)[yamlKey(field)];
    }
    return goFormat(v);
  });
}

/** `pattern` run on `file` as compiled for this machine. */
export async function queryFile(file: string, pattern: string): Promise<string> {
  const config = await loadConfig(file, {});
  const compiled = await compile(config, { arch: hostArch(), pipelineDirs: [] });
  // The file as written, with the package and subpackages as melange resolves them (vars substituted).
  const data = {
    ...config.data,
    package: compiled.package,
    subpackages: compiled.subpackages,
  };
  return runTemplate(pattern, data);
}
