/**
 * Certificates for the TLS tests, made with openssl: a CA, and server or
 * client certificates with chosen names (SANs) and validity dates (`openssl
 * ca` sets any dates, so expired certificates are made, not waited for).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sh } from "./buildkit.ts";
import { findBuildkitd, socketAnswers } from "../../lib/build/daemon.ts";

/** Makes `<dir>/<name>.pem` and `<name>.key`, a self-signed CA. */
export async function makeCa(dir: string, name: string): Promise<void> {
  await sh(
    `openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj /CN=${name} ` +
      `-keyout ${join(dir, name)}.key -out ${join(dir, name)}.pem 2>/dev/null`,
  );
}

/** What a leaf certificate says. */
export interface LeafOptions {
  /** `DNS:localhost,IP:127.0.0.1`; none for a client certificate. */
  san?: string;
  /** `YYYYMMDDHHMMSSZ`; default now to now + 2 days. */
  start?: string;
  end?: string;
}

/** Makes `<dir>/<name>.pem` and `<name>.key`, signed by the CA `<dir>/<ca>`. */
export async function makeLeaf(
  dir: string,
  ca: string,
  name: string,
  opts: LeafOptions = {},
): Promise<void> {
  const p = (f: string) => join(dir, f);
  const db = p(`${name}.db`);
  await sh(`mkdir -p ${db} && : > ${db}/index.txt && echo 01 > ${db}/serial`);
  writeFileSync(
    p(`${name}.cnf`),
    [
      "[ca]",
      "default_ca = d",
      "[d]",
      `database = ${db}/index.txt`,
      `new_certs_dir = ${db}`,
      `serial = ${db}/serial`,
      "default_md = sha256",
      "default_days = 2",
      "policy = any",
      "unique_subject = no",
      "email_in_dn = no",
      "[any]",
      "commonName = supplied",
      "[ext]",
      "basicConstraints = CA:FALSE",
      opts.san ? `subjectAltName = ${opts.san}` : "extendedKeyUsage = clientAuth",
      "",
    ].join("\n"),
  );
  const dates = (opts.start ? ` -startdate ${opts.start}` : "") +
    (opts.end ? ` -enddate ${opts.end}` : "");
  await sh(
    `openssl req -newkey rsa:2048 -nodes -subj /CN=${name} -keyout ${p(`${name}.key`)} ` +
      `-out ${p(`${name}.csr`)} 2>/dev/null && ` +
      `openssl ca -batch -notext -config ${p(`${name}.cnf`)} -extensions ext ` +
      `-cert ${p(`${ca}.pem`)} -keyfile ${p(`${ca}.key`)} -in ${p(`${name}.csr`)} ` +
      `-out ${p(`${name}.pem`)}${dates} 2>&1`,
  );
}

/** A buildkitd with TLS on its own port and state, for one test; stop() ends it. */
export interface OwnTlsDaemon {
  addr: string;
  stop(): Promise<void>;
}

/** Starts buildkitd serving TLS with `<dir>/<server>.pem`, trusting clients of `<dir>/<ca>.pem`. */
export async function startOwnTlsDaemon(
  dir: string,
  ca: string,
  server: string,
  port: number,
): Promise<OwnTlsDaemon> {
  const bin = findBuildkitd();
  if (!bin) throw new Error("buildkitd is not installed");
  const state = await Deno.makeTempDir({ prefix: "melange2-tls-state-" });
  const sock = `unix://${state}/buildkitd.sock`;
  const addr = `tcp://127.0.0.1:${port}`;
  const child = new Deno.Command(bin, {
    args: [
      "--addr",
      addr,
      "--addr",
      sock,
      "--root",
      `${state}/root`,
      "--tlscacert",
      join(dir, `${ca}.pem`),
      "--tlscert",
      join(dir, `${server}.pem`),
      "--tlskey",
      join(dir, `${server}.key`),
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 150 && !(await socketAnswers(sock)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
  return {
    addr,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await new Deno.Command("umount", { args: ["-R", `${state}/root`], stderr: "null" }).output();
      await Deno.remove(state, { recursive: true }).catch(() => {});
    },
  };
}
