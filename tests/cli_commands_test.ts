/** melange's small commands as melange spells them: keygen, sign -k, sign-index -f, index -s, version, completion. */
import { runCli } from "./cli.ts";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { withTempDir } from "./support/tmp.ts";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash, createPrivateKey } from "node:crypto";
import { serveFile } from "./support/serve.ts";
import { join } from "node:path";
import { writePackage } from "../lib/apk/package.ts";
import { readIndexArchive, signaturesOf } from "../lib/apk/index.ts";
import { gzipMembers } from "../lib/apk/gzip.ts";
import { VERSION } from "../cli/meta.ts";

Deno.test("keygen: an absolute path, a progress line, and no overwriting", () =>
  withTempDir(async (dir) => {
    const key = join(dir, "keys", "abs.rsa");
    mkdirSync(join(dir, "keys"));
    const made = await runCli(["keygen", key, "--key-size", "2048"], { cwd: "/" });
    assertEquals(made.code, 0, made.stderr);
    assertEquals(
      made.stderr,
      `generating a 2048-bit RSA key pair, please wait...\nwrote private key ${key} and public key ${key}.pub\n`,
    );
    assertEquals(
      createPrivateKey(readFileSync(key, "utf8")).asymmetricKeyDetails?.modulusLength,
      2048,
    );
    assert(existsSync(`${key}.pub`));
    const before = readFileSync(key, "utf8");

    const again = await runCli(["keygen", key, "--key-size", "2048"]);
    assertEquals(again.code, 1);
    assertEquals(
      again.stderr,
      `error: ${key} already exists; not overwriting it (remove it, or name another key)\n`,
    );
    assertEquals(readFileSync(key, "utf8"), before, "the key is untouched");

    // Only the public half left over is refused too: the pair would not match.
    writeFileSync(join(dir, "lone.rsa.pub"), "x");
    const lone = await runCli(["keygen", join(dir, "lone.rsa")]);
    assertStringIncludes(lone.stderr, `lone.rsa.pub already exists`);
    assert(!existsSync(join(dir, "lone.rsa")));

    const small = await runCli(["keygen", join(dir, "s.rsa"), "--key-size", "1024"]);
    assertStringIncludes(small.stderr, "--key-size 1024: expected at least 2048");
    const nodir = await runCli(["keygen", join(dir, "nope", "k.rsa")]);
    assertStringIncludes(nodir.stderr, `directory ${join(dir, "nope")} does not exist`);
  }));

Deno.test("sign -k, index -s/--merge, and sign-index leaving a signed index alone unless -f", () =>
  withTempDir(async (dir) => {
    const ok = async (args: string[]) => {
      const r = await runCli(args, { cwd: dir });
      assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    await ok(["keygen", "a.rsa", "--key-size", "2048"]);
    await ok(["keygen", "b.rsa", "--key-size", "2048"]);
    mkdirSync(join(dir, "t/usr/bin"), { recursive: true });
    writeFileSync(join(dir, "t/usr/bin/tool"), "#!/bin/sh\n");
    for (const name of ["one", "two"]) {
      const apk = await writePackage(join(dir, "t"), {
        name,
        version: "1.0-r0",
        epoch: 0,
        arch: "x86_64",
        description: name,
        license: "MIT",
        dependencies: {},
        options: { noDepends: true },
      }, { sourceDateEpoch: 0 });
      writeFileSync(join(dir, `${name}.apk`), apk.bytes);
    }
    await ok(["sign", "-k", "a.rsa", "one.apk"]);
    const sig = await signaturesOf(gzipMembers(readFileSync(join(dir, "one.apk")), 1)[0].data);
    assertEquals(sig?.map((s) => s.keyName), ["a.rsa.pub"]);

    // -s names the index whose entries --merge keeps; -o is where the result goes.
    await ok(["index", "-o", "old.tar.gz", "one.apk"]);
    await ok(["index", "-s", "old.tar.gz", "-m", "-o", "new.tar.gz", "two.apk"]);
    const merged = await readIndexArchive(readFileSync(join(dir, "new.tar.gz")), new Map(), {
      allowUntrusted: true,
      source: "new.tar.gz",
    });
    assertEquals(merged.map((p) => p.name), ["one", "two"]);
    const noSource = await runCli(["index", "-s", "absent.tar.gz", "-m", "two.apk"], { cwd: dir });
    assertEquals(noSource.stderr, "error: --source absent.tar.gz: does not exist\n");

    const keyNames = async () =>
      (await signaturesOf(gzipMembers(readFileSync(join(dir, "new.tar.gz")), 1)[0].data))
        ?.map((s) => s.keyName);
    await ok(["sign-index", "--signing-key", "a.rsa", "new.tar.gz"]);
    assertEquals(await keyNames(), ["a.rsa.pub"]);
    const left = await ok(["sign-index", "--signing-key", "b.rsa", "new.tar.gz"]);
    assertStringIncludes(left.stderr, "new.tar.gz is already signed; not changing it");
    assertEquals(await keyNames(), ["a.rsa.pub"]);
    await ok(["sign-index", "--signing-key", "b.rsa", "-f", "new.tar.gz"]);
    assertEquals(await keyNames(), ["b.rsa.pub"]);

    // melange's default key names.
    const noKey = await runCli(["sign", "two.apk"], { cwd: dir });
    assertEquals(noKey.stderr, "error: --signing-key local-melange.rsa: does not exist\n");
    const noIndexKey = await runCli(["sign-index", "new.tar.gz"], { cwd: dir });
    assertEquals(noIndexKey.stderr, "error: --signing-key melange.rsa: does not exist\n");
  }));

Deno.test("version prints melange2's version and the runtime's, also as JSON", async () => {
  const text = await runCli(["version"]);
  assertEquals(text.code, 0);
  assertEquals(text.stdout.split("\n")[0], `melange2 ${VERSION}`);
  assertStringIncludes(text.stdout, `deno:       ${Deno.version.deno}`);
  const json = JSON.parse((await runCli(["version", "--json"])).stdout);
  assertEquals(json.version, VERSION);
  assertEquals(json.platform, `${Deno.build.os}/${Deno.build.arch}`);
  assertEquals((await runCli(["--version"])).stdout.trim(), VERSION);
});

/** What bash completes for `words` (the last one being completed), with the script loaded. */
async function bashCompletes(script: string, words: string[]): Promise<string[]> {
  const array = words.map((w) => `'${w}'`).join(" ");
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `${script}\nCOMP_WORDS=(${array}); COMP_CWORD=${
        words.length - 1
      }; _melange2; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
}

Deno.test("completion: a bash script that completes commands, subcommands, flags and choices", async () => {
  const r = await runCli(["completion", "bash"]);
  assertEquals(r.code, 0, r.stderr);
  const script = r.stdout;
  assertEquals(await bashCompletes(script, ["melange2", "bu"]), ["build", "bump", "buildkit"]);
  assertEquals(await bashCompletes(script, ["melange2", "buildkit", "p"]), ["prune"]);
  assertEquals(await bashCompletes(script, ["melange2", "build", "--out-"]), ["--out-dir"]);
  assertEquals(await bashCompletes(script, ["melange2", "env", "resolve", "--no-c"]), [
    "--no-cache",
  ]);
  assertEquals(await bashCompletes(script, ["melange2", "build", "--progress", "p"]), ["plain"]);
  assertEquals(await bashCompletes(script, ["melange2", "build", "x.yaml", ""]), []);

  const zsh = await runCli(["completion", "zsh"]);
  assert(zsh.stdout.startsWith("#compdef melange2\n"), zsh.stdout.slice(0, 50));
  assertStringIncludes(zsh.stdout, "complete -o default -F _melange2 melange2");

  const fish = (await runCli(["completion", "fish"])).stdout;
  assertStringIncludes(
    fish,
    "complete -c melange2 -n '__fish_use_subcommand' -f -a build -d 'Build APK packages",
  );
  assertStringIncludes(
    fish,
    "complete -c melange2 -n '__fish_seen_subcommand_from build' -l out-dir -r -d",
  );
  assertStringIncludes(
    fish,
    "-n '__fish_seen_subcommand_from env; and not __fish_seen_subcommand_from resolve install' -f -a resolve",
  );

  const bad = await runCli(["completion", "tcsh"]);
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.stderr, "Allowed choices are bash, zsh, fish");
});

Deno.test("package-version and query read the build file as melange's do", () =>
  withTempDir(async (dir) => {
    writeFileSync(
      join(dir, "q.yaml"),
      `package:
  name: q
  version: \${{vars.v}}
  epoch: 3
  description: queried
  target-architecture: [x86_64, aarch64]
vars:
  v: 2.1.0
pipeline:
  - runs: "true"
subpackages:
  - name: q-dev
    pipeline:
      - runs: "true"
`,
    );
    const pv = await runCli(["package-version", join(dir, "q.yaml")]);
    assertEquals(pv.code, 0, pv.stderr);
    assertEquals(pv.stdout, "q-2.1.0-r3");
    const q = await runCli([
      "query",
      join(dir, "q.yaml"),
      "{{ .Package.Name }}:{{.Package.TargetArchitecture}}:{{ .Vars.v }}",
    ]);
    assertEquals(q.stdout, "q:[x86_64 aarch64]:2.1.0");
    const bad = await runCli(["query", join(dir, "q.yaml"), "{{ range .Subpackages }}{{ end }}"]);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, "only field references such as {{ .Package.Version }}");
    const missing = await runCli(["query", join(dir, "q.yaml"), "{{ .Package.Name.Nope }}"]);
    assertStringIncludes(missing.stderr, "can't evaluate field Nope");
  }));

Deno.test("bump: version and epoch as melange sets them, fetch hashes of the new source, expected-commit", () =>
  withTempDir(async (dir) => {
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src/tool-1.0.tar.gz"), "old source");
    writeFileSync(join(dir, "src/tool-1.1.tar.gz"), "new source");
    const server = serveFile(join(dir, "src"));
    try {
      const file = join(dir, "tool.yaml");
      writeFileSync(
        file,
        `# the tool
package:
  name: tool
  version: 1.0 # upstream's
  epoch: 4
  description: a tool
pipeline:
  - uses: fetch
    with:
      uri: ${server.url}/tool-\${{package.version}}.tar.gz
      expected-sha256: aaaa
      expected-sha512: bbbb
  - uses: git-checkout
    with:
      repository: https://example.com/x.git
      expected-commit: 0000
`,
      );
      const bumped = await runCli(["bump", file, "1.1", "--expected-commit", "abcdef"]);
      assertEquals(bumped.code, 0, bumped.stderr);
      const text = readFileSync(file, "utf8");
      assertStringIncludes(text, "# the tool\n");
      assertStringIncludes(text, 'version: "1.1" # upstream\'s\n');
      assertStringIncludes(text, "epoch: 0\n");
      const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
      const sha512 = (s: string) => createHash("sha512").update(s).digest("hex");
      assertStringIncludes(text, `expected-sha256: ${sha256("new source")}\n`);
      assertStringIncludes(text, `expected-sha512: ${sha512("new source")}\n`);
      assertStringIncludes(text, "expected-commit: abcdef\n");
      assertStringIncludes(text, `uri: ${server.url}/tool-\${{package.version}}.tar.gz\n`);

      // The same version again: the epoch goes up.
      assertEquals((await runCli(["bump", file, "1.1"])).code, 0);
      assertStringIncludes(readFileSync(file, "utf8"), "epoch: 1\n");

      // A source that is not there: an error, and the file is left as it was.
      const before = readFileSync(file, "utf8");
      const missing = await runCli(["bump", file, "9.9"]);
      assertEquals(missing.code, 1);
      assertStringIncludes(missing.stderr, "tool-9.9.tar.gz: 404");
      assertEquals(readFileSync(file, "utf8"), before);
    } finally {
      await server.close();
    }
  }));

Deno.test("scan: a build file's packages, read from -r, analyzed with the file's dependencies", () =>
  withTempDir(async (dir) => {
    writeFileSync(
      join(dir, "tool.yaml"),
      `package:
  name: tool
  version: 1.0.0
  epoch: 2
  description: a tool
  dependencies:
    runtime: [busybox]
pipeline:
  - runs: "true"
subpackages:
  - name: tool-extra
    pipeline:
      - runs: "true"
`,
    );
    const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
    mkdirSync(join(dir, `repo/${arch}`), { recursive: true });
    for (const name of ["tool", "tool-extra"]) {
      mkdirSync(join(dir, name, "usr/bin"), { recursive: true });
      writeFileSync(join(dir, name, `usr/bin/${name}`), "#!/bin/sh\necho hi\n", { mode: 0o755 });
      const apk = await writePackage(join(dir, name), {
        name,
        version: "1.0.0-r2",
        epoch: 2,
        arch,
        description: name,
        dependencies: { runtime: name === "tool" ? ["busybox"] : [] },
      }, { sourceDateEpoch: 0 });
      writeFileSync(join(dir, `repo/${arch}/${name}-1.0.0-r2.apk`), apk.bytes);
    }
    const all = await runCli(["scan", "tool.yaml", "-r", "repo"], { cwd: dir });
    assertEquals(all.code, 0, all.stderr);
    assertEquals(
      all.stdout,
      "tool-1.0.0-r2\n= depend   busybox\n= provides cmd:tool=1.0.0-r2\n" +
        "tool-extra-1.0.0-r2\n= provides cmd:tool-extra=1.0.0-r2\n",
    );
    // The .apk alone knows nothing of the file's declared dependencies.
    const apk = await runCli(["scan", `repo/${arch}/tool-1.0.0-r2.apk`], { cwd: dir });
    assertStringIncludes(apk.stdout, "- depend   busybox  (in .PKGINFO, not found)");
    const one = await runCli(["scan", "tool.yaml", "-r", "repo", "-p", "tool-extra"], { cwd: dir });
    assertEquals(one.stdout, "tool-extra-1.0.0-r2\n= provides cmd:tool-extra=1.0.0-r2\n");
    const none = await runCli(["scan", "tool.yaml", "-p", "nope"], { cwd: dir });
    assertEquals(none.stderr, 'error: tool.yaml: no package or subpackage "nope"\n');
    const notBuilt = await runCli(["scan", "tool.yaml"], { cwd: dir });
    assertEquals(notBuilt.stderr, `error: packages/${arch}/tool-1.0.0-r2.apk: does not exist\n`);
  }));
