/** What `melange2 remote` runs: the server client and job specs, loaded when a command runs (cli/remote.ts registers them). */
import type { Command } from "commander";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { Buffer } from "node:buffer";
import { parse } from "yaml";
import { UserError } from "../lib/errors.ts";
import type { JobSpec } from "../lib/server/types.ts";
import { RemoteClient } from "../lib/server/client.ts";
import { envOrUndefined } from "./run.ts";

/** The server's client, from the `remote` flags and the environment. */
export function remoteClient(cmd: Command): RemoteClient {
  const o = cmd.optsWithGlobals();
  let token = o.token ?? envOrUndefined("MELANGE2_TOKEN");
  if (o.tokenFile) token = readFileSync(o.tokenFile, "utf8").trim();
  return new RemoteClient(
    o.server ?? envOrUndefined("MELANGE2_SERVER") ?? "http://127.0.0.1:8080",
    token,
  );
}

/** Every file under `dir`, by path relative to it. */
function filesUnder(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...filesUnder(path, base));
    else if (e.isFile) out.push(relative(base, path));
  }
  return out.sort();
}

/** A job spec from build files: each file's source directory (`<dir>/<package>`) comes along. */
export function specFromFiles(
  files: string[],
  opts: {
    pipelineDir?: string[];
    sourceDir?: string;
    arch?: string[];
    labels?: Record<string, string>;
  },
): JobSpec {
  if (opts.sourceDir && files.length !== 1) {
    throw new UserError("--source-dir goes with one build file");
  }
  const spec: JobSpec = {
    files: [],
    pipelines: {},
    sources: {},
    arch: opts.arch,
    labels: opts.labels,
  };
  for (const file of files) {
    let content: string;
    try {
      content = readFileSync(file, "utf8");
    } catch (err) {
      throw new UserError(`${file}: ${(err as Error).message}`);
    }
    const name = (parse(content) as any)?.package?.name;
    if (typeof name !== "string") throw new UserError(`${file}: no package.name`);
    spec.files.push({ name: basename(file), content });
    const src = opts.sourceDir ?? join(dirname(file), name);
    if (existsSync(src) && statSync(src).isDirectory()) {
      for (const rel of filesUnder(src)) {
        spec.sources![join(name, rel)] = Buffer.from(readFileSync(join(src, rel))).toString(
          "base64",
        );
      }
    }
  }
  for (const dir of opts.pipelineDir ?? []) {
    for (const rel of filesUnder(dir)) spec.pipelines![rel] = readFileSync(join(dir, rel), "utf8");
  }
  return spec;
}
