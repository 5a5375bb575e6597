/**
 * git-checkout against a local repository, run by the host's shell as the
 * compiled step would run: a tag with its expected commit, a wrong expected
 * commit refused, and cherry-picks whose comments hold quotes and `$`.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileSync, loadConfigText } from "../lib/config/mod.ts";
import type { CompiledStep } from "../lib/config/mod.ts";
import { withTempDir } from "./support/tmp.ts";

const haveGit = existsSync("/usr/bin/git");

async function run(cmd: string, args: string[], cwd: string, env: Record<string, string>) {
  const out = await new Deno.Command(cmd, { args, cwd, env }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The compiled git-checkout script for these `with:` lines (YAML, indented 6). */
function script(withYaml: string): string {
  const c = compileSync(
    loadConfigText(
      `package:\n  name: demo\n  version: 1\n  epoch: 0\npipeline:\n  - uses: git-checkout\n    with:\n${withYaml}`,
      "demo.yaml",
    ),
    { arch: "x86_64" },
  );
  const flat = (s: CompiledStep[]): string[] =>
    s.flatMap((x) => [...(x.runs ? [x.runs] : []), ...flat(x.pipeline ?? [])]);
  return flat(c.pipeline).join("\n");
}

Deno.test({
  name: "git-checkout: a tag at its commit, then cherry-picks whose comments hold quotes and $",
  ignore: !haveGit,
  fn: () =>
    withTempDir(async (dir) => {
      // HOME is the test's own: the pipeline writes git's global config.
      const env = {
        HOME: dir,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
        SOURCE_DATE_EPOCH: "1700000000",
      };
      const upstream = join(dir, "upstream");
      const git = async (...args: string[]) => {
        const r = await run("git", args, upstream, env);
        assertEquals(r.code, 0, `git ${args.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
      };
      Deno.mkdirSync(upstream);
      await git("init", "-q", "-b", "main");
      writeFileSync(join(upstream, "README"), "v1\n");
      await git("add", "README");
      await git("commit", "-q", "-m", "first");
      await git("tag", "-a", "v1", "-m", "release 1");
      const tagged = await git("rev-parse", "HEAD");
      await git("checkout", "-q", "-b", "fixes");
      writeFileSync(join(upstream, "fix.txt"), "fixed\n");
      await git("add", "fix.txt");
      await git("commit", "-q", "-m", "Don't crash");
      const fix = await git("rev-parse", "HEAD");
      await git("checkout", "-q", "main");

      const good = script(
        `      repository: file://${upstream}
      tag: v1
      expected-commit: ${tagged}
      destination: src
      cherry-picks: |
        # comments and blank lines are skipped

        fixes/${fix}: Don't crash on "quoted" input, \`ticks\` or $HOME
`,
      );
      const r = await run("/bin/sh", ["-c", good], dir, env);
      assertEquals(r.code, 0, r.stdout + r.stderr);
      assertEquals(readFileSync(join(dir, "src", "fix.txt"), "utf8"), "fixed\n");
      assertStringIncludes(r.stdout, `Don't crash on "quoted" input, \`ticks\` or $HOME`);
      const log = await run(
        "git",
        ["log", "-1", "--format=%B%n%cd", "--date=unix"],
        join(dir, "src"),
        env,
      );
      assertStringIncludes(log.stdout, `(cherry picked from commit ${fix})`);
      // Cherry-picks are committed at SOURCE_DATE_EPOCH, for reproducible trees.
      assertStringIncludes(log.stdout, "1700000000");

      // The annotated tag's own object id is accepted, with a warning.
      const object = await git("rev-parse", "refs/tags/v1");
      const byObject = await run(
        "/bin/sh",
        [
          "-c",
          script(
            `      repository: file://${upstream}\n      tag: v1\n      expected-commit: ${object}\n      destination: obj\n`,
          ),
        ],
        dir,
        env,
      );
      assertEquals(byObject.code, 0, byObject.stderr);
      assertStringIncludes(byObject.stdout, "was the hash of the annotated tag object");

      const wrong = await run(
        "/bin/sh",
        [
          "-c",
          script(
            `      repository: file://${upstream}\n      tag: v1\n      expected-commit: ${fix}\n      destination: bad\n`,
          ),
        ],
        dir,
        env,
      );
      assert(wrong.code !== 0);
      assertStringIncludes(wrong.stdout, `Expected commit ${fix} for v1, found ${tagged}`);
    }),
});

Deno.test({
  name: "git-checkout: a branch pinned behind its tip is reset to the pinned commit",
  ignore: !haveGit,
  fn: () =>
    withTempDir(async (dir) => {
      const env = {
        HOME: dir,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      };
      const upstream = join(dir, "upstream");
      Deno.mkdirSync(upstream);
      const git = async (...args: string[]) =>
        (await run("git", args, upstream, env)).stdout.trim();
      await git("init", "-q", "-b", "main");
      writeFileSync(join(upstream, "f"), "1\n");
      await git("add", "f");
      await git("commit", "-q", "-m", "one");
      const pinned = await git("rev-parse", "HEAD");
      writeFileSync(join(upstream, "f"), "2\n");
      await git("commit", "-q", "-am", "two");
      const tip = await git("rev-parse", "HEAD");
      const ok = await run(
        "/bin/sh",
        [
          "-c",
          script(
            `      repository: file://${upstream}\n      branch: main\n      expected-commit: ${pinned}\n`,
          ),
        ],
        dir,
        env,
      );
      assertEquals(ok.code, 0, ok.stdout + ok.stderr);
      assertEquals(readFileSync(join(dir, "f"), "utf8"), "1\n");
      // With expected-commit-is-branch-tip the same pin is refused.
      const tipOnly = await run(
        "/bin/sh",
        [
          "-c",
          script(
            `      repository: file://${upstream}\n      branch: main\n      expected-commit: ${pinned}\n      expected-commit-is-branch-tip: true\n      destination: t\n`,
          ),
        ],
        dir,
        env,
      );
      assert(tipOnly.code !== 0);
      assertStringIncludes(tipOnly.stdout, `is not the tip of branch main (${tip})`);
    }),
});
