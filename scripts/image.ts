/**
 * The melange2 container image, made by melange2 itself:
 *
 *   deno run -A scripts/image.ts [--out DIR] [--signing-key KEY]
 *
 * 1. `deno bundle` of main.ts and the Deno runtime from the npm registry
 *    (the one running this script) are staged as the source directory;
 * 2. `melange2 build packaging/melange2.yaml` packages them as an APK;
 * 3. `melange2 image` installs that package with busybox, glibc and CA
 *    certificates from the local repository into an OCI layout
 *    (DIR/image, default ./dist/image) and prints its digest.
 *
 * Run it next to buildkitd: docs/architecture.md, "Running in a container".
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { realpathSync } from "node:fs";

const repo = resolve(new URL("..", import.meta.url).pathname);
const LOCAL_REPO = "/var/cache/melange2/local-repo";

/** What the image script made. */
export interface MadeImage {
  layout: string;
  digest: string;
}

async function run(args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(args[0], { args: args.slice(1), cwd, stderr: "inherit" })
    .output();
  if (!out.success) throw new Error(`${args.slice(0, 4).join(" ")} ... failed`);
  return new TextDecoder().decode(out.stdout);
}

/** Makes the image under `out`; `melange2` is how to run melange2 (default: from source). */
export async function makeImage(
  out: string,
  opts: { signingKey?: string; buildkitAddr?: string } = {},
): Promise<MadeImage> {
  const melange2 = [Deno.execPath(), "run", "-A", join(repo, "main.ts")];
  const src = join(out, "src");
  await Deno.mkdir(src, { recursive: true });
  await run([
    Deno.execPath(),
    "bundle",
    "--platform",
    "deno",
    "-o",
    join(src, "melange2.js"),
    join(repo, "main.ts"),
  ], repo);
  await Deno.copyFile(realpathSync(Deno.execPath()), join(src, "deno"));
  const packages = join(out, "packages");
  await run([
    ...melange2,
    "build",
    join(repo, "packaging", "melange2.yaml"),
    "--source-dir",
    src,
    "--out-dir",
    packages,
    "--progress",
    "plain",
    ...(opts.signingKey ? ["--signing-key", opts.signingKey] : []),
    ...(opts.buildkitAddr ? ["--buildkit-addr", opts.buildkitAddr] : []),
  ]);
  const layout = join(out, "image");
  const digest = (await run([
    ...melange2,
    "image",
    "melange2",
    "--repository",
    LOCAL_REPO,
    "--keyring",
    join(LOCAL_REPO, "melange2-local.rsa.pub"),
    "--repository",
    packages,
    ...(opts.signingKey ? ["--keyring", `${opts.signingKey}.pub`] : ["--allow-untrusted"]),
    "--entrypoint",
    "/usr/bin/melange2",
    "--tag",
    "melange2:0.1.0",
    "--output",
    layout,
  ])).trim();
  return { layout, digest };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: "dist" }, "signing-key": { type: "string" } },
  });
  const made = await makeImage(resolve(values.out!), { signingKey: values["signing-key"] });
  console.log(`${made.layout} ${made.digest}`);
}
