/**
 * What `melange2 compile` runs: files compiled with the config code, loaded
 * by cli/compile.ts when the command runs (not at start-up).
 */
import { hostArch } from "../lib/build/arch.ts";
// Not lib/config/mod.ts, which loads the regexp engine whether or not a file needs it.
import { compileSync } from "../lib/config/compile.ts";
import { loadGoRegexp } from "../lib/config/goregexp.ts";
import { loadConfigSync } from "../lib/config/load.ts";
import { pipelineLoader } from "../lib/config/pipelines.ts";
import { UserError } from "../lib/errors.ts";
import type { CompileArgs } from "./compile.ts";

/** JSON with object keys sorted, so the same input prints the same bytes. */
export function stableJson(value: unknown, indent = 2): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, indent);
}

/**
 * The files `paths` name: a directory stands for its `*.yaml` files, sorted,
 * as the shell's glob has them (hidden files, such as wolfi-os's
 * `.yam.yaml` formatter settings, are not build files).
 */
export function expandPaths(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(p);
    } catch {
      throw new UserError(`${p}: no such file or directory`);
    }
    if (!info.isDirectory) {
      out.push(p);
      continue;
    }
    const names: string[] = [];
    for (const e of Deno.readDirSync(p)) {
      if (e.name.endsWith(".yaml") && !e.name.startsWith(".") && (e.isFile || e.isSymlink)) {
        names.push(e.name);
      }
    }
    if (!names.length) throw new UserError(`${p}: no .yaml files in this directory`);
    for (const n of names.sort()) out.push(`${p.replace(/\/+$/, "")}/${n}`);
  }
  return out;
}

/** The name of a file's document in `--out-dir`: its base name, `.json` for `.yaml`. */
function outName(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1).replace(/\.ya?ml$/, "") + ".json";
}

/** Options of {@link compileFiles}. */
export interface CompileFilesOptions {
  arch: string;
  pipelineDirs: string[];
  varsFile?: string;
  envFile?: string;
  /** `json` (indented documents one after another) or `jsonl` (one line each). */
  format: "json" | "jsonl";
}

/**
 * Compiles every file; each one's document, in order. All of them or none:
 * the errors of every file that fails are one UserError.
 */
export async function compileFiles(
  files: string[],
  opts: CompileFilesOptions,
): Promise<string[]> {
  // One loader for the run: every file reads the same pipeline files.
  const loader = pipelineLoader(opts.pipelineDirs);
  const docs: string[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      const config = loadConfigSync(file, { varsFile: opts.varsFile, envFile: opts.envFile });
      if (config.data["var-transforms"]?.length) await loadGoRegexp();
      const compiled = compileSync(config, { arch: opts.arch, loader });
      docs.push(stableJson(compiled, opts.format === "jsonl" ? 0 : 2) + "\n");
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length) {
    const head = files.length > 1 ? `${errors.length} of ${files.length} files failed:\n` : "";
    throw new UserError(head + errors.join("\n"));
  }
  return docs;
}

/** Runs `compile` with parsed options. */
export async function runCompile(opts: CompileArgs): Promise<void> {
  const format = opts.outputFormat;
  if (format !== "json" && format !== "jsonl") {
    throw new UserError(`--output-format: expected json or jsonl, got "${format}"`);
  }
  const files = expandPaths(opts.paths);
  const names = files.map(outName);
  if (opts.outDir) {
    const seen = new Map<string, string>();
    files.forEach((f, i) => {
      const other = seen.get(names[i]);
      if (other) throw new UserError(`--out-dir: ${other} and ${f} would both be ${names[i]}`);
      seen.set(names[i], f);
    });
  }
  const docs = await compileFiles(files, {
    arch: opts.arch ?? hostArch(),
    pipelineDirs: opts.pipelineDir ?? [],
    varsFile: opts.varsFile,
    envFile: opts.envFile,
    format,
  });
  if (opts.outDir) {
    Deno.mkdirSync(opts.outDir, { recursive: true });
    docs.forEach((d, i) => Deno.writeTextFileSync(`${opts.outDir}/${names[i]}`, d));
    return;
  }
  const text = new TextEncoder().encode(docs.join(""));
  for (let off = 0; off < text.length;) off += Deno.stdout.writeSync(text.subarray(off));
}
