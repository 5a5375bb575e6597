/**
 * The progress display in a real terminal: a build run in tmux at 70 and
 * 160 columns, its screen captured while a step runs and after the build.
 * MELANGE2_UPDATE_SCREENSHOTS=1 writes the captures to docs/progress/.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { haveDaemon, sh, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";

let haveTmux = false;
try {
  haveTmux = (await new Deno.Command("tmux", { args: ["-V"] }).output()).success;
} catch {
  console.log("note: tmux is absent; the terminal display is not tested in a terminal");
}

const BUILD = (token: string) => `
package:
  name: progress-demo
  version: 1.0.0
  epoch: 0
  description: shows progress
environment:
  contents:
    repositories: [/var/cache/melange2/local-repo]
    keyring: [/var/cache/melange2/local-repo/melange2-local.rsa.pub]
    packages: [busybox]
pipeline:
  - name: compile the program with a rather long step name that does not fit in seventy columns
    runs: |
      echo "token ${token}"
      for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "tick $i of twelve"; sleep 0.5; done
  - name: install
    runs: |
      mkdir -p "\${{targets.destdir}}/usr/share"
      echo ${token} > "\${{targets.destdir}}/usr/share/token"
`;

async function capture(session: string): Promise<string> {
  return (await sh(`tmux capture-pane -p -J -t ${session}`)).trimEnd() + "\n";
}

async function waitFor(session: string, pattern: RegExp, seconds: number): Promise<string> {
  for (let i = 0; i < seconds * 10; i++) {
    const screen = await capture(session);
    if (pattern.test(screen)) return screen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tmux screen never showed ${pattern}:\n${await capture(session)}`);
}

for (const columns of [70, 160]) {
  Deno.test({
    name:
      `progress tty in a real terminal (${columns} columns): live, in order, fitting, then the summary`,
    ignore: !haveDaemon || !haveTmux,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () =>
      withTempDir(async (dir) => {
        await Deno.writeTextFile(`${dir}/demo.yaml`, BUILD(crypto.randomUUID()));
        const session = `melange2-${crypto.randomUUID().slice(0, 8)}`;
        const deno = Deno.execPath();
        const cmd = `cd ${dir} && ${deno} run -A ${repoPath("main.ts")} build demo.yaml ` +
          `--arch host --out-dir ${dir}/packages; echo EXIT:$?; sleep 60`;
        await sh(`tmux new-session -d -s ${session} -x ${columns} -y 40 '${cmd}'`);
        try {
          const during = await waitFor(session, /=> => # tick [3-9]/, 120);
          const after = await waitFor(session, /EXIT:\d+/, 120);
          if (Deno.env.get("MELANGE2_UPDATE_SCREENSHOTS") === "1") {
            await Deno.writeTextFile(
              repoPath("docs", "progress", `tty-${columns}-during.txt`),
              during,
            );
            await Deno.writeTextFile(
              repoPath("docs", "progress", `tty-${columns}-after.txt`),
              after,
            );
          }
          // The display fits the terminal (the closing report's paths may wrap).
          for (const screen of [during, after.split("Build summary:")[0]]) {
            for (const line of screen.split("\n")) {
              assert([...line].length <= columns, `wider than ${columns}: ${line}`);
            }
          }
          assert(/^\[\+\] Building \d+\.\ds \(\d+\/\d+\)$/m.test(during), during);
          const name = columns < 100
            ? "compile the program with .*…"
            : "compile the program .* columns";
          assert(
            new RegExp(`=> \\[\\d+/\\d+\\] ${name}\\s+\\d+\\.\\ds$`, "m").test(during),
            during,
          );
          assertEquals(after.match(/EXIT:(\d+)/)?.[1], "0", after);
          assert(/^\[\+\] Building \d+\.\ds \((\d+)\/\1\) FINISHED$/m.test(after), after);
          const indexes = [...after.matchAll(/^ => (?:CACHED )?\[(\d+)\/\d+\]/gm)].map((m) =>
            +m[1]
          );
          assertEquals(indexes, [...indexes].sort((a, b) => a - b), "steps in the order they ran");
          assert(!/=> => #/.test(after), "finished steps are collapsed");
          assertStringIncludes(after, "Build summary:");
          assertStringIncludes(after, "progress-demo-1.0.0-r0.apk");
        } finally {
          await sh(`tmux kill-session -t ${session}`).catch(() => {});
        }
      }),
  });
}
