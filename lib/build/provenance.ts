/**
 * melange's `--generate-provenance`: a SLSA v1 provenance statement per
 * package, in `<out>/<arch>/<name>-<version>.attest.tar.gz` next to the APK
 * (beside it, not in it, so the APK stays reproducible). As melange writes
 * it: a gzip'd tar segment holding `<name>-<version>.attestation`, owned by
 * root with the build's timestamps, preceded by a signature member when
 * the build signs.
 *
 * Keys are melange's (`type`, `subject`, `predicate_type`, `predicate`).
 * melange marshals the predicate with encoding/json, which spells a
 * protobuf Struct as its internal `fields`/`Kind` wrappers; here the
 * predicate is the plain JSON object those wrappers stand for (the in-toto
 * form other tools read).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzip } from "../apk/gzip.ts";
import type { WrittenPackage } from "../apk/package.ts";
import type { CompiledBuild } from "../config/mod.ts";
import { signatureMember, type SigningKey } from "../apk/signature.ts";
import { writeTar } from "../apk/tar.ts";

/** melange's in-toto and SLSA type URIs. */
export const INTOTO_STATEMENT = "https://in-toto.io/Statement/v1";
export const SLSA_PROVENANCE = "https://slsa.dev/provenance/v1";
/** The build type is melange's: the external parameters are a melange configuration. */
export const MELANGE_BUILD_TYPE = "https://chainguard.dev/buildtypes/melange/v1";
/** Our own builder id (melange's names Chainguard's production builder, which this is not). */
export const MELANGE2_BUILDER = "urn:melange2:builders:buildkit:v1";

/** What a package's statement says. */
export interface ProvenanceInput {
  /** `<name>-<version>-r<epoch>`. */
  identity: string;
  /** sha256 of the package's data member (`.PKGINFO`'s datahash). */
  dataHash: string;
  /** The build's configuration, as JSON data. */
  configuration: unknown;
  started: Date;
  finished: Date;
  /** melange2's version, recorded as the builder's. */
  builderVersion: string;
}

/** The in-toto statement, indented JSON as melange writes it. */
export function provenanceStatement(p: ProvenanceInput): string {
  return JSON.stringify(
    {
      type: INTOTO_STATEMENT,
      subject: [{ name: `${p.identity}.apk`, digest: { sha256: p.dataHash } }],
      predicate_type: SLSA_PROVENANCE,
      predicate: {
        buildDefinition: {
          buildType: MELANGE_BUILD_TYPE,
          externalParameters: { "package-configuration": p.configuration },
        },
        runDetails: {
          builder: { id: MELANGE2_BUILDER, version: { melange2: p.builderVersion } },
          metadata: { startedOn: p.started.toISOString(), finishedOn: p.finished.toISOString() },
        },
      },
    },
    null,
    2,
  );
}

/** The `.attest.tar.gz` file's bytes: the statement's tar segment, gzip'd, signed when asked. */
export async function attestationFile(
  p: ProvenanceInput,
  opts: { sourceDateEpoch: number; signingKey?: SigningKey },
): Promise<Uint8Array> {
  const data = new TextEncoder().encode(provenanceStatement(p));
  const tar = await writeTar([{
    header: {
      name: `${p.identity}.attestation`,
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
      size: data.length,
      mtime: opts.sourceDateEpoch,
    },
    data,
  }], { segment: true });
  const body = gzip(tar);
  if (!opts.signingKey) return body;
  const sig = await signatureMember(body, opts.signingKey);
  const out = new Uint8Array(sig.length + body.length);
  out.set(sig);
  out.set(body, sig.length);
  return out;
}

/** The file name melange gives a package's attestation. */
export function attestationName(identity: string): string {
  return `${identity}.attest.tar.gz`;
}

/** Each package's provenance beside it (lib/build/provenance.ts). */
export async function writeAttestations(
  made: WrittenPackage[],
  compiled: CompiledBuild,
  archDir: string,
  p: { started: Date; builderVersion: string },
  opts: { sourceDateEpoch: number; signingKey?: SigningKey; log?: (line: string) => void },
): Promise<void> {
  const finished = new Date();
  const configuration = JSON.parse(JSON.stringify(compiled));
  for (const m of made) {
    const identity = `${m.pkginfo.pkgname}-${m.pkginfo.pkgver}`;
    const bytes = await attestationFile({
      identity,
      dataHash: m.pkginfo.datahash ?? "",
      configuration,
      started: p.started,
      finished,
      builderVersion: p.builderVersion,
    }, opts);
    const file = join(archDir, attestationName(identity));
    writeFileSync(file, bytes);
    opts.log?.(`wrote ${file}`);
  }
}
