/**
 * A minimal OCI image made from APK packages with melange2's own
 * environment code (as apko does): the packages resolved and installed into
 * a root, that root as one layer, and an OCI image layout around it. The
 * same packages and options give the same digests.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { EnvironmentSpec } from "../apk/environment.ts";
import { writeLayer } from "../apk/layer.ts";
import { prepareEnvironment } from "./environment.ts";
import { platformOf } from "./arch.ts";

/** What an image is made of. */
export interface ImageOptions {
  /** The packages, their repositories and keys. */
  environment: EnvironmentSpec;
  /** The OCI layout directory written (replaced if there). */
  output: string;
  /** `org.opencontainers.image.ref.name` of the image in the layout. */
  tag?: string;
  entrypoint?: string[];
  cmd?: string[];
  /** Environment of the image's processes (PATH has a default). */
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
  /** Every timestamp in the image (default 0). */
  sourceDateEpoch?: number;
  log?: (line: string) => void;
}

/** What was written. */
export interface ImageResult {
  /** Digest of the image manifest: the image's identity. */
  digest: string;
  /** The OCI layout directory. */
  layout: string;
  /** `name-version` of each package in it. */
  packages: string[];
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Installs the packages and writes the OCI layout. */
export async function buildImage(opts: ImageOptions): Promise<ImageResult> {
  const epoch = opts.sourceDateEpoch ?? 0;
  const env = await prepareEnvironment(opts.environment, opts.log);
  const tmp = `${opts.output}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const blobs = join(tmp, "blobs", "sha256");
    mkdirSync(blobs, { recursive: true });
    const layerFile = join(tmp, "layer.tar.gz");
    const layer = await writeLayer(env.root, layerFile, epoch);
    renameSync(layerFile, join(blobs, layer.digest.slice(7)));
    const platform = platformOf(opts.environment.arch);
    const created = new Date(epoch * 1000).toISOString().replace(".000Z", "Z");
    const config = blob(blobs, {
      created,
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: platform.os,
      config: {
        Env: Object.entries({ PATH, ...opts.env }).map(([k, v]) => `${k}=${v}`),
        ...(opts.entrypoint ? { Entrypoint: opts.entrypoint } : {}),
        ...(opts.cmd ? { Cmd: opts.cmd } : {}),
        ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
        ...(opts.user ? { User: opts.user } : {}),
      },
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
      history: [{ created, created_by: `melange2 image: ${env.packages.join(" ")}` }],
    });
    const manifest = blob(blobs, {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: layer.digest,
        size: layer.size,
      }],
    });
    writeJson(join(tmp, "index.json"), {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...manifest,
        ...(opts.tag ? { annotations: { "org.opencontainers.image.ref.name": opts.tag } } : {}),
        platform: { architecture: platform.architecture, os: platform.os },
      }],
    });
    writeJson(join(tmp, "oci-layout"), { imageLayoutVersion: "1.0.0" });
    rmSync(opts.output, { recursive: true, force: true });
    renameSync(tmp, opts.output);
    return { digest: manifest.digest, layout: opts.output, packages: env.packages };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes a JSON document as a blob; its descriptor's digest and size. */
function blob(dir: string, doc: unknown): { digest: string; size: number } {
  const bytes = new TextEncoder().encode(JSON.stringify(doc));
  const hex = createHash("sha256").update(bytes).digest("hex");
  writeFileSync(join(dir, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

function writeJson(path: string, doc: unknown): void {
  writeFileSync(path, JSON.stringify(doc));
}
