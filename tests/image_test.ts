/**
 * The melange2 image, made by melange2 itself (scripts/image.ts: a bundle
 * and Deno's runtime packaged by `melange2 build`, installed with busybox,
 * glibc and CA certificates by `melange2 image`), has a reproducible digest,
 * and BuildKit runs it from the OCI layout (an `oci-layout` source read
 * through the session): `melange2 --version`, and a whole build of the hello
 * example against the daemon from inside the container.
 */
import { assert, assertEquals } from "./assert.ts";
import { ADDR, haveDaemon, withTempDir } from "./support/buildkit.ts";
import { makeImage } from "../scripts/image.ts";
import { connect } from "../lib/buildkit/mod.ts";
import { local, marshal, ociLayout, scratch } from "../lib/llb/mod.ts";
import { repoPath } from "./shared.ts";

const TCP = Deno.env.get("MELANGE2_TEST_TCP_ADDR") ?? "tcp://127.0.0.1:11234";

Deno.test({
  name: "image: melange2's own image is reproducible and runs a build on the daemon from inside",
  ignore: !haveDaemon,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      // Made twice from scratch (bundle, package, image): the same digest. (The image's
      // /etc/apk/repositories names the package's directory, so it is the same one.)
      const first = await makeImage(`${dir}/made`);
      await Deno.remove(`${dir}/made`, { recursive: true });
      const made = await makeImage(`${dir}/made`);
      assertEquals(made.digest, first.digest, "the same inputs give the same image");

      await Deno.mkdir(`${dir}/work`);
      await Deno.copyFile(repoPath("examples", "hello.yaml"), `${dir}/work/hello.yaml`);
      // BuildKit reads an oci-layout reference as HOST/PATH@DIGEST (containerd reference rules).
      const image = ociLayout(`melange2/image@${made.digest}`, { storeId: "melange2" });
      const ran = image.run({
        shell: "melange2 --version > /out/version && cd /work && " +
          `melange2 build hello.yaml --buildkit-addr ${TCP} --out-dir /out/packages --progress plain`,
        mounts: [
          { type: "bind", target: "/out", source: scratch() },
          { type: "bind", target: "/work", source: local("work") },
          {
            type: "bind",
            target: "/var/cache/melange2/local-repo",
            source: local("repo"),
            readonly: true,
          },
        ],
        ignoreCache: true,
      });
      const client = connect({ addr: ADDR });
      try {
        await client.solve({
          definition: marshal(ran.getMount("/out")).bytes,
          locals: { work: `${dir}/work`, repo: "/var/cache/melange2/local-repo" },
          ociLayouts: { melange2: made.layout },
          exports: [{ type: "local", dest: `${dir}/out` }],
        });
      } finally {
        client.close();
      }
      assertEquals((await Deno.readTextFile(`${dir}/out/version`)).trim(), "0.1.0");
      const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
      const apk = await Deno.stat(`${dir}/out/packages/${arch}/hello-1.0.0-r0.apk`);
      assert(apk.size > 0);
    }),
});
