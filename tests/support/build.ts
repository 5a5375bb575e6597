/**
 * Helpers for the end-to-end build tests: the local repository of
 * build-environment packages, signing keys, a loopback file server, and
 * reading packages back with an independent tool (python3's tarfile).
 */
import { serveFile } from "./serve.ts";
import { ensureLocalRepo } from "../../scripts/local_repo.ts";
import { runCli } from "../cli.ts";
import { assertEquals } from "../assert.ts";

export { serveFile };

/** The local repository (made on first use, then kept between runs). */
export const localRepo = await ensureLocalRepo(undefined, () => {});

/** Makes a signing key pair with `melange2 keygen`; returns the private key's path. */
export async function makeKey(dir: string, name = "test.rsa"): Promise<string> {
  const res = await runCli(["keygen", name], { cwd: dir });
  assertEquals(res.code, 0, res.stderr);
  return `${dir}/${name}`;
}

/** The member names of an APK's data (every gzip member read as one tar stream, as tar does). */
export async function apkContents(file: string): Promise<string[]> {
  const script = [
    "import sys, tarfile",
    "with tarfile.open(sys.argv[1], 'r:gz') as t:",
    "    print('\\n'.join(sorted(m.name for m in t.getmembers())))",
  ].join("\n");
  const out = await new Deno.Command("python3", { args: ["-c", script, file] }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}
