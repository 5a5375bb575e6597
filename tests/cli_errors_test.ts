/** The CLI's own errors: usage mistakes, help without permissions, bad files named by what the user did. */
import { runCli } from "./cli.ts";
import { repoPath } from "./shared.ts";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./assert.ts";
import { existsSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { findBuildFile } from "../cli/buildfile.ts";
import { fsErrorText, UserError } from "../lib/errors.ts";
import { stepFailure } from "../lib/buildkit/client.ts";

/** Runs main.ts with no permissions at all (`deno run main.ts`), as a user trying it would. */
async function runBare(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", repoPath("main.ts"), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("--help works without any permission, for the program and every command", async () => {
  const root = await runBare(["--help"]);
  assertEquals(root.code, 0, root.stderr);
  assertStringIncludes(root.stdout, "Usage: melange2");
  assertEquals(root.stderr, "");
  for (const cmd of ["build", "test", "solve", "buildkit", "env", "keygen", "demo", "compile"]) {
    const r = await runBare([cmd, "--help"]);
    assertEquals(r.code, 0, `${cmd}: ${r.stderr}`);
    assertStringIncludes(r.stdout, `Usage: melange2 ${cmd}`);
  }
});

Deno.test("a mistyped flag prints the error and a one-line hint, not the help", async () => {
  const r = await runCli(["build", "--out-dri", "x"]);
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines[0], "error: unknown option '--out-dri'");
  assertEquals(lines.at(-1), "Run 'melange2 build --help' for usage.");
  assert(lines.length <= 3, `short: ${r.stderr}`);
  assert(!r.stderr.includes("Options:"), "no help text");

  const cmd = await runCli(["biuld"]);
  assertEquals(cmd.code, 1);
  assertStringIncludes(cmd.stderr, "error: unknown command 'biuld'");
  assertStringIncludes(cmd.stderr, "(Did you mean build?)");
  assertStringIncludes(cmd.stderr, "Run 'melange2 --help' for usage.");

  const nested = await runCli(["env", "resolve", "--bogus"]);
  assertStringIncludes(nested.stderr, "Run 'melange2 env resolve --help' for usage.");
});

Deno.test("the build file: melange's default names in order; a directory's files are read; a missing file is said so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "melange2-buildfile-" });
  try {
    assertThrows(() => findBuildFile(undefined, dir), UserError, "none of .melange.yaml");
    await Deno.writeTextFile(`${dir}/melange.yml`, "");
    assertEquals(findBuildFile(undefined, dir), `${dir}/melange.yml`);
    await Deno.writeTextFile(`${dir}/melange.yaml`, "");
    assertEquals(findBuildFile(undefined, dir), `${dir}/melange.yaml`);
    await Deno.writeTextFile(`${dir}/.melange.yml`, "");
    assertEquals(findBuildFile(undefined, dir), `${dir}/.melange.yml`);
    await Deno.writeTextFile(`${dir}/.melange.yaml`, "");
    assertEquals(findBuildFile(undefined, dir), `${dir}/.melange.yaml`);
    assertEquals(findBuildFile(`${dir}/melange.yaml`), `${dir}/melange.yaml`);

    // A directory is many build files (issue 22): every *.yaml and *.yml in it but hidden ones,
    // each bad one named.
    const asDir = await runCli(["build", dir]);
    assertEquals(asDir.code, 1);
    assertEquals(
      asDir.stderr.trim(),
      `error: ${dir}/melange.yaml:1:1: expected a melange build file (a mapping with package:)\n` +
        `${dir}/melange.yml:1:1: expected a melange build file (a mapping with package:)`,
    );
    const none = await runCli(["build"], { cwd: `${dir}/..` });
    assertStringIncludes(none.stderr, "error: no build file given, and none of .melange.yaml");
    const missing = await runCli(["test", `${dir}/nope.yaml`]);
    assertEquals(missing.stderr.trim(), `error: ${dir}/nope.yaml: no such file`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a signing key that is not an RSA private key is refused before the build starts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "melange2-badkey-" });
  try {
    await Deno.writeTextFile(`${dir}/junk.rsa`, "not a key\n");
    const ed = generateKeyPairSync("ed25519");
    await Deno.writeTextFile(
      `${dir}/ed.key`,
      ed.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    );
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await Deno.writeTextFile(
      `${dir}/k.rsa.pub`,
      rsa.publicKey.export({ type: "spki", format: "pem" }) as string,
    );
    const cases: [string, string][] = [
      ["junk.rsa", "is not an RSA private key in PEM form; make a key pair with: melange2 keygen"],
      ["ed.key", "is an ed25519 key, and APK signatures need RSA; make one with: melange2 keygen"],
      ["k.rsa.pub", "is a public key; give its private half (the file without .pub)"],
      ["absent.rsa", "no such file"],
    ];
    for (const [key, message] of cases) {
      const r = await runCli([
        "build",
        repoPath("examples", "hello.yaml"),
        "--signing-key",
        `${dir}/${key}`,
        "--out-dir",
        `${dir}/out`,
        "--buildkit-addr",
        "unix:///nonexistent.sock",
      ]);
      assertEquals(r.code, 1, r.stderr);
      assertEquals(r.stderr.trim(), `error: --signing-key ${dir}/${key}: ${message}`);
      assert(!existsSync(`${dir}/out`), "nothing written");
    }
    // The package commands check the same way.
    const sign = await runCli(["sign", "--signing-key", `${dir}/junk.rsa`, `${dir}/x.apk`]);
    assertStringIncludes(sign.stderr, "is not an RSA private key");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a local repository that is missing, or has no index for the arch, is said in the user's terms", async () => {
  const dir = await Deno.makeTempDir({ prefix: "melange2-norepo-" });
  try {
    const gone = await runCli(["env", "resolve", "busybox", "-r", `${dir}/nope`, "--no-cache"]);
    assertEquals(gone.code, 1);
    assertStringIncludes(
      gone.stderr,
      `error: repository ${dir}/nope does not exist: check the path`,
    );
    assert(!gone.stderr.includes("ENOENT"), gone.stderr);
    const empty = await runCli([
      "env",
      "resolve",
      "busybox",
      "-r",
      dir,
      "--arch",
      "x86_64",
      "--no-cache",
    ]);
    assertStringIncludes(
      empty.stderr,
      `error: repository ${dir} has no index for x86_64 (${dir}/x86_64/APKINDEX.tar.gz is missing)`,
    );
    assert(!empty.stderr.includes("ENOENT"), empty.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file-system errors read as words, not Node codes", () => {
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), {
    code: "ENOENT",
  });
  assertEquals(fsErrorText(enoent), "does not exist");
  assertEquals(
    fsErrorText(Object.assign(new Error("EISDIR: x"), { code: "EISDIR" })),
    "is a directory, not a file",
  );
  assertEquals(
    fsErrorText(new Error("EXDEV: cross-device link, rename '/a'")),
    "cross-device link",
  );
});

Deno.test("a failed step's error keeps its exit code and drops the quoted script", () => {
  assertEquals(
    stepFailure(
      'process "/bin/sh -c set -e\\necho \\"hi\\"\\nexit 3" did not complete successfully: exit code: 3',
    ),
    "exit code: 3",
  );
  assertEquals(stepFailure('process "/bin/sh -c x" was killed'), "process was killed");
  assertEquals(stepFailure("failed to mount: no such file"), "failed to mount: no such file");
});

Deno.test("build flags with bad values are refused before anything runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "melange2-badflags-" });
  try {
    const hello = repoPath("examples", "hello.yaml");
    const common = ["--out-dir", `${dir}/out`, "--buildkit-addr", "unix:///nonexistent.sock"];
    const date = await runCli(["build", hello, "--build-date", "yesterday", ...common]);
    assertEquals(
      date.stderr,
      "error: --build-date yesterday: expected an RFC 3339 date, e.g. 2024-01-31T12:00:00Z\n",
    );
    const index = await runCli(["build", hello, "--generate-index=maybe", ...common]);
    assertEquals(index.code, 1);
    assertStringIncludes(index.stderr, 'expected true or false, not "maybe"');
    const runner = await runCli(["build", hello, "--runner", "kubernetes", ...common]);
    assertEquals(runner.code, 1);
    assertStringIncludes(
      runner.stderr,
      "argument 'kubernetes' is invalid. unknown runner: kubernetes (melange's are bubblewrap",
    );
    // A runner melange knows is accepted (said once), whatever it is: steps run on BuildKit.
    const docker = await runCli([
      "build",
      hello,
      "--runner",
      "docker",
      "--arch",
      "x86_64",
      "--dump-llb",
      `${dir}/hello.pb`,
      ...common,
    ], { env: { QEMU_KERNEL_IMAGE: "/boot/vmlinuz", QEMU_USE_VIRTIOFS: "1" } });
    assertEquals(docker.code, 0, docker.stderr);
    assertStringIncludes(docker.stderr, "--runner docker: melange2 runs every step on BuildKit\n");
    // melange's QEMU runner settings are said to be unused, not silently dropped.
    assertStringIncludes(
      docker.stderr,
      "QEMU_KERNEL_IMAGE, QEMU_USE_VIRTIOFS: settings of melange's QEMU runner, unused " +
        "(melange2 runs every step on BuildKit)\n",
    );
    const level = await runCli(["build", hello, "--log-level", "loud", ...common]);
    assertStringIncludes(
      level.stderr,
      "error: option '--log-level <level>' argument 'loud' is invalid. " +
        "expected debug, info, warn or error (any case, as melange's)",
    );
    assert(!existsSync(`${dir}/out`), "nothing written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
