import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ADDR, busyboxStep, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { runCli } from "./cli.ts";
import { marshal, scratch } from "../lib/llb/mod.ts";
import { credentialsFor, dockerConfigCredentials } from "../lib/buildkit/auth.ts";

Deno.test({
  name: "secrets: served from an environment variable, never in the definition or the log",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const secret = `s3cr3t-${crypto.randomUUID()}`;
      const ran = await busyboxStep(dir, {
        shell: "mkdir -p /out && cat /run/secrets/token > /out/got && echo done",
        mounts: [{ type: "secret", target: "/run/secrets/token", id: "token" }],
        ignoreCache: true,
      });
      const def =
        marshal(scratch().copy(ran.root(), "/out", "/", { copyDirContentsOnly: true })).bytes;
      await Deno.writeFile(`${dir}/def.pb`, def);
      assert(!new TextDecoder().decode(def).includes(secret));
      const res = await runCli([
        "solve",
        "--buildkit-addr",
        ADDR,
        "--progress",
        "rawjson",
        "--local",
        `rootfs=${dir}/rootfs`,
        "--secret",
        "id=token,env=MY_TOKEN",
        "--output",
        `type=local,dest=${dir}/out`,
        `${dir}/def.pb`,
      ], { env: { MY_TOKEN: secret } });
      assertEquals(res.code, 0, res.stderr);
      assertEquals(await Deno.readTextFile(`${dir}/out/got`), secret);
      assert(
        !res.stderr.includes(secret) && !res.stdout.includes(secret),
        "the secret is not logged",
      );

      const missing = await runCli([
        "solve",
        "--secret",
        "id=token,env=NOT_SET_ANYWHERE",
        `${dir}/def.pb`,
      ]);
      assertEquals(missing.code, 1);
      assertStringIncludes(missing.stderr, "NOT_SET_ANYWHERE is not set");
    }),
});

Deno.test("auth: anonymous unless configured; a Docker config's auths are used", async () => {
  await withTempDir(async (dir) => {
    assertEquals(dockerConfigCredentials(dir), {});
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: btoa("user:pa:ss") },
          "ghcr.io": { auth: btoa("me:tok") },
        },
      }),
    );
    const creds = dockerConfigCredentials(dir);
    assertEquals(credentialsFor("registry-1.docker.io", creds), {
      Username: "user",
      Secret: "pa:ss",
    });
    assertEquals(credentialsFor("ghcr.io", creds), { Username: "me", Secret: "tok" });
    assertEquals(credentialsFor("quay.io", creds), {});
  });
});
