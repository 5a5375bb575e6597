/**
 * APK signatures: a gzip member holding one tar entry
 * `.SIGN.RSA.<key>` (RSA PKCS#1 v1.5 over SHA-1) or `.SIGN.RSA256.<key>`
 * (over SHA-256) whose contents sign the compressed bytes of the member
 * that follows (the control part of a package, the body of an index).
 */
import { fsErrorText, UserError } from "../errors.ts";
import { readFileSync } from "node:fs";
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { basename } from "node:path";
import { gzip } from "./gzip.ts";
import { writeTar } from "./tar.ts";

/** Public keys by file name (`melange.rsa.pub`), as apk's keys directory holds them. */
export type Keyring = Map<string, string>;

/** A private key and the name of its public key file. */
export interface SigningKey {
  /** Public key file name the signature names, e.g. `melange.rsa.pub`. */
  name: string;
  /** The private key, PEM. */
  pem: string;
}

/** Hash algorithms of APK signatures. */
export type SignatureAlgorithm = "sha1" | "sha256";

/** A signature found in a signature member. */
export interface FoundSignature {
  keyName: string;
  algorithm: SignatureAlgorithm;
  signature: Uint8Array;
}

/** The name of a signing key's public half: melange calls keys `x.rsa` and `x.rsa.pub`. */
export function publicKeyName(privateKeyPath: string): string {
  const base = basename(privateKeyPath);
  return base.endsWith(".pub") ? base : `${base}.pub`;
}

/**
 * Reads a signing key and checks that it is an RSA private key in PEM form,
 * so a wrong file is refused before any work is done. `what` names where the
 * path came from (`--signing-key`).
 */
export function loadSigningKey(path: string, what = "--signing-key"): SigningKey {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    throw new UserError(`${what} ${path}: ${fsErrorText(err)}`);
  }
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    const pub = /-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem);
    throw new UserError(
      `${what} ${path}: ` +
        (pub
          ? "is a public key; give its private half (the file without .pub)"
          : "is not an RSA private key in PEM form; make a key pair with: melange2 keygen"),
    );
  }
  if (type !== "rsa") {
    throw new UserError(
      `${what} ${path}: is an ${type} key, and APK signatures need RSA; make one with: melange2 keygen`,
    );
  }
  return { name: publicKeyName(path), pem };
}

/** Parses a signature entry name; undefined when it is not one. */
export function parseSignatureName(name: string): Omit<FoundSignature, "signature"> | undefined {
  const m = /^\.SIGN\.(RSA256|RSA)\.(.+)$/.exec(name);
  if (!m) return undefined;
  return { keyName: m[2], algorithm: m[1] === "RSA256" ? "sha256" : "sha1" };
}

/** Signs `signed` and returns the gzip member holding the signature entry. */
export async function signatureMember(
  signed: Uint8Array,
  key: SigningKey,
  algorithm: SignatureAlgorithm = "sha256",
): Promise<Uint8Array> {
  let signature: Uint8Array;
  try {
    signature = sign(algorithm, signed, createPrivateKey(key.pem));
  } catch (err) {
    throw new UserError(`signing with ${key.name}: ${(err as Error).message}`);
  }
  const kind = algorithm === "sha256" ? "RSA256" : "RSA";
  const tar = await writeTar([{
    header: {
      name: `.SIGN.${kind}.${publicKeyName(key.name)}`,
      type: "file",
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: signature.length,
      mtime: 0,
    },
    data: signature,
  }], { segment: true });
  return gzip(tar);
}

/** What to do about signatures. */
export interface TrustOptions {
  /** Accept unsigned data and data signed by unknown keys. */
  allowUntrusted?: boolean;
  /** Names the data in errors (file or URL). */
  source: string;
}

/**
 * Checks that one of `signatures` is a valid signature of `signed` by a key
 * in `keyring`. Throws an error naming the key otherwise, unless untrusted
 * data is allowed (a signature that is present but wrong still fails).
 */
export function verifySignatures(
  signed: Uint8Array,
  signatures: FoundSignature[],
  keyring: Keyring,
  opts: TrustOptions,
): FoundSignature | undefined {
  const known = signatures.filter((s) => keyring.has(s.keyName));
  // Prefer SHA-256 when a package carries both, as apk-tools does.
  known.sort((a, b) => (a.algorithm === b.algorithm ? 0 : a.algorithm === "sha256" ? -1 : 1));
  for (const s of known) {
    let ok = false;
    try {
      ok = verify(s.algorithm, signed, createPublicKey(keyring.get(s.keyName)!), s.signature);
    } catch (err) {
      throw new UserError(`${opts.source}: key ${s.keyName}: ${(err as Error).message}`);
    }
    if (ok) return s;
    if (!opts.allowUntrusted) {
      throw new UserError(
        `${opts.source}: the signature by ${s.keyName} does not verify (tampered or wrong key)`,
      );
    }
  }
  if (opts.allowUntrusted) return undefined;
  if (!signatures.length) {
    throw new UserError(`${opts.source}: unsigned (use --allow-untrusted to accept it)`);
  }
  const names = signatures.map((s) => s.keyName).join(", ");
  throw new UserError(
    `${opts.source}: signed by ${names}, which is not in the keyring (have: ${
      [...keyring.keys()].join(", ") || "none"
    })`,
  );
}
