/**
 * Packages take owners, modes and xattrs from what BuildKit built (the
 * export's stats), never from what the client could write to its own disk:
 * the same build as root and as an unprivileged user (nobody, against the
 * daemon's TCP address) gives byte-identical packages and index, with
 * setuid/setgid bits, other users' files and xattrs whose values are not
 * UTF-8 kept, the build user's files root's and owners named from the build
 * environment's passwd and group (as melange packages them).
 */
import { assertEquals } from "./assert.ts";
import { haveDaemon, withTempDir } from "./support/buildkit.ts";
import { repoPath } from "./shared.ts";
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";

const TCP = "tcp://127.0.0.1:11234";
const NOBODY = 65534;
const ARCH = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
const LOCAL_KEY = "/var/cache/melange2/local-repo/melange2-local.rsa.pub";

/** True when the daemon answers on its TCP address too (the set-up starts it there). */
async function tcpAnswers(): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: 11234 });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

const ready = haveDaemon && Deno.uid() === 0 && await tcpAnswers();
if (!ready) console.log("note: needs root and buildkitd at " + TCP + "; skipping");

Deno.test({
  name:
    "build: as root and as nobody, the same file gives byte-identical packages with owners, modes and xattrs as built",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      chmodSync(dir, 0o755);
      // One bundle of the CLI, run by both users: nobody cannot read root's Deno cache.
      const bundle = `${dir}/melange2.js`;
      const bundled = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform", "deno", "-o", bundle, repoPath("main.ts")],
        cwd: repoPath(),
      }).output();
      assertEquals(bundled.code, 0, new TextDecoder().decode(bundled.stderr));
      mkdirSync(`${dir}/keys`);
      copyFileSync(LOCAL_KEY, `${dir}/keys/melange2-local.rsa.pub`);
      chmodSync(`${dir}/keys/melange2-local.rsa.pub`, 0o644);

      const build = async (who: string, uid: number) => {
        const home = `${dir}/home-${who}`;
        mkdirSync(home);
        mkdirSync(`${dir}/out-${who}`);
        chownSync(home, uid, uid);
        chownSync(`${dir}/out-${who}`, uid, uid);
        const res = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--no-config",
            bundle,
            "build",
            repoPath("tests", "fixtures", "build", "owners.yaml"),
            "--keyring-append",
            `${dir}/keys/melange2-local.rsa.pub`,
            "--buildkit-addr",
            TCP,
            "--arch",
            "host",
            "--progress",
            "plain",
            "--out-dir",
            `${dir}/out-${who}`,
          ],
          uid,
          gid: uid,
          clearEnv: true,
          env: { HOME: home, DENO_DIR: `${home}/deno`, PATH: Deno.env.get("PATH") ?? "" },
          cwd: home,
        }).output();
        assertEquals(res.code, 0, `${who}: ${new TextDecoder().decode(res.stderr)}`);
        return `${dir}/out-${who}/${ARCH}`;
      };
      const asRoot = await build("root", 0);
      const asNobody = await build("nobody", NOBODY);

      const files = readdirSync(asRoot).sort();
      assertEquals(files, ["APKINDEX.tar.gz", "owners-1.0.0-r0.apk"]);
      assertEquals(readdirSync(asNobody).sort(), files);
      for (const f of files) {
        assertEquals(readFileSync(`${asNobody}/${f}`), readFileSync(`${asRoot}/${f}`), f);
      }

      // What is in the package, read by python's tarfile (xattr values as raw bytes).
      const script = `
import json, sys, tarfile
t = tarfile.open(sys.argv[1], 'r:gz')
out = {}
for m in t.getmembers():
    if m.name.startswith('.') or m.name.startswith('var/lib'): continue
    x = {k[13:]: v.encode('utf-8', 'surrogateescape').hex()
         for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.')}
    out[m.name] = [m.uid, m.gid, m.uname, m.gname, oct(m.mode), m.type.decode(), m.linkname, x]
print(json.dumps(out))
`;
      const py = await new Deno.Command("python3", {
        args: ["-c", script, `${asNobody}/owners-1.0.0-r0.apk`],
      }).output();
      assertEquals(py.code, 0, new TextDecoder().decode(py.stderr));
      const entries = JSON.parse(new TextDecoder().decode(py.stdout));
      assertEquals(entries, {
        srv: [0, 0, "root", "root", "0o755", "5", "", {}],
        "srv/built": [0, 0, "root", "root", "0o644", "0", "", {}],
        "srv/data": [123, 456, "", "", "0o640", "0", "", { "user.text": "68656c6c6f" }],
        "srv/data-again": [123, 456, "", "", "0o640", "1", "srv/data", {}],
        usr: [0, 0, "root", "root", "0o755", "5", "", {}],
        "usr/bin": [0, 0, "root", "root", "0o755", "5", "", {}],
        "usr/bin/capped": [0, 0, "root", "root", "0o4755", "0", "", {
          "security.capability": "0100000280200000" + "00".repeat(12),
          "user.binary": "fffe0080",
        }],
        "usr/bin/grouped": [0, 5, "root", "", "0o2755", "0", "", {}],
        "usr/bin/link": [0, 0, "root", "root", "0o777", "2", "capped", {}],
        var: [0, 0, "root", "root", "0o755", "5", "", {}],
        "var/spool": [0, 0, "root", "root", "0o1777", "5", "", {}],
      });
    }),
});
