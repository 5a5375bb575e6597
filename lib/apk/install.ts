/**
 * Unpacking a package's data into a root directory, safely: every entry
 * must land inside the root (no `..`, no absolute names, no way out through
 * a symlink; absolute symlink targets are read as a chroot would), device
 * nodes are refused, and files another package owns are only replaced when
 * the package says it replaces that one. Returns the installed-database
 * record of what was written.
 */
import { UserError } from "../errors.ts";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeSync,
} from "node:fs";
import { join, posix } from "node:path";
import { writeXattrs } from "../buildkit/xattr.ts";
import type { ApkPackage } from "./index.ts";
import type { InstalledDir, InstalledFile, InstalledPackage } from "./installed.ts";
import type { TarHeader } from "./tar.ts";
import { streamData } from "./archive.ts";

/** Who owns each installed path (for conflict checks across packages), with its record. */
export type Owners = Map<string, { pkg: ApkPackage; dir: InstalledDir; file: InstalledFile }>;

const isRoot = typeof Deno !== "undefined" && Deno.uid?.() === 0;

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Resolves `rel` inside `root` the way a process chrooted there would,
 * following symlinks in every component but (unless `followLast`) the last.
 * Throws when a relative symlink climbs out of the root.
 */
export function resolveInRoot(root: string, rel: string, followLast = false, depth = 0): string {
  if (depth > 40) throw new UserError(`too many levels of symlinks resolving ${rel}`);
  const parts = rel.split("/").filter((p) => p && p !== ".");
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === "..") {
      if (!out.length) throw new UserError(`${rel} leads outside the root`);
      out.pop();
      continue;
    }
    const candidate = [...out, part].join("/");
    const last = i === parts.length - 1;
    const st = (!last || followLast) ? lstatOrUndefined(join(root, candidate)) : undefined;
    if (st?.isSymbolicLink()) {
      const target = readlinkSync(join(root, candidate));
      const next = target.startsWith("/") ? target : posix.join(out.join("/") || ".", target);
      if (!target.startsWith("/") && posix.normalize(next).startsWith("..")) {
        throw new UserError(
          `${rel} goes through the symlink ${candidate} -> ${target}, which points outside the root`,
        );
      }
      const resolved = resolveInRoot(root, next, true, depth + 1);
      out.splice(0, out.length, ...resolved.split("/").filter(Boolean));
    } else {
      out.push(part);
    }
  }
  return out.join("/");
}

/** Rejects entry names that are absolute or climb with `..`. */
function checkName(name: string): string {
  const clean = name.replace(/^\.\//, "").replace(/\/+$/, "");
  if (name.startsWith("/") || clean.split("/").includes("..")) {
    throw new UserError(`${name}: path leads outside the root`);
  }
  return clean;
}

const octal = (m: number) => (m & 0o7777).toString(8);

/** Unpacks `data` (the package's data part, gzip) into `root`; returns its database record. */
export async function installData(
  root: string,
  pkg: ApkPackage,
  data: Uint8Array,
  owners: Owners,
): Promise<InstalledPackage> {
  const dirs: InstalledDir[] = [];
  const dirIndex = new Map<string, InstalledDir>();
  const dirRecord = (name: string) => {
    let d = dirIndex.get(name);
    if (!d) {
      d = { name, files: [] };
      dirIndex.set(name, d);
      dirs.push(d);
    }
    return d;
  };
  // Entries stream from the inflater to the disk: memory stays bounded whatever the file sizes.
  await streamData(data, async (h, body) => {
    const name = checkName(h.name);
    if (!name) return;
    try {
      await writeEntry(root, name, h, body, pkg, owners, dirRecord);
    } catch (err) {
      throw new UserError(`${name}: ${(err as Error).message.replace(`${name}: `, "")}`);
    }
  });
  return { pkg, dirs };
}

async function writeEntry(
  root: string,
  name: string,
  h: TarHeader,
  body: AsyncIterable<Uint8Array>,
  pkg: ApkPackage,
  owners: Owners,
  dirRecord: (name: string) => InstalledDir,
): Promise<void> {
  const parent = posix.dirname(name) === "." ? "" : posix.dirname(name);
  const realParent = resolveInRoot(root, parent, true);
  const real = realParent ? `${realParent}/${posix.basename(name)}` : posix.basename(name);
  const full = join(root, real);
  const mode = h.mode & 0o7777;
  const acl = `${h.uid}:${h.gid}:${octal(mode)}`;

  if (h.type === "directory") {
    const st = lstatOrUndefined(full);
    if (st && !st.isDirectory()) {
      if (st.isSymbolicLink()) {
        resolveInRoot(root, name, true); // a symlinked directory must stay inside the root
        return;
      }
      rmSync(full, { force: true });
    }
    mkdirSync(full, { recursive: true });
    // chown clears setuid/setgid bits, so it comes before chmod
    if (isRoot) lchownSync(full, h.uid, h.gid);
    chmodSync(full, mode);
    if (h.xattrs) writeXattrs(full, h.xattrs);
    const d = dirRecord(name);
    if (acl !== "0:0:755") d.acl = acl;
    return;
  }
  if (h.type === "character-device" || h.type === "block-device" || h.type === "fifo") {
    throw new UserError(`${h.type} entries are not installed`);
  }

  const owned = owners.get(real);
  if (owned && owned.pkg.name !== pkg.name) {
    const owner = owned.pkg;
    if (!mayReplace(pkg, owner)) {
      throw new UserError(
        `already installed by ${owner.name}-${owner.version} (and ${pkg.name} does not replace it)`,
      );
    }
    owned.dir.files = owned.dir.files.filter((f) => f !== owned.file);
  }
  mkdirSync(join(root, realParent), { recursive: true });
  const existing = lstatOrUndefined(full);
  if (existing?.isDirectory()) throw new UserError("a directory is in the way");
  if (existing) rmSync(full, { force: true });

  let checksum: string;
  if (h.type === "symlink") {
    const target = h.linkname ?? "";
    symlinkSync(target, full);
    if (isRoot) lchownSync(full, h.uid, h.gid);
    checksum = sha1(new TextEncoder().encode(target));
  } else if (h.type === "link") {
    const target = resolveInRoot(root, checkName(h.linkname ?? ""), true);
    linkSync(join(root, target), full);
    const hex = h.pax?.["APK-TOOLS.checksum.SHA1"];
    checksum = hex
      ? "Q1" + Buffer.from(hex, "hex").toString("base64")
      : (owners.get(target)?.file.checksum ?? "");
  } else {
    const hex = h.pax?.["APK-TOOLS.checksum.SHA1"];
    const computed = await writeStream(full, body, !hex);
    // chown clears setuid/setgid bits and file capabilities: owner first, then mode, then xattrs
    if (isRoot) lchownSync(full, h.uid, h.gid);
    chmodSync(full, mode);
    utimesSync(full, h.mtime, h.mtime);
    checksum = hex ? "Q1" + Buffer.from(hex, "hex").toString("base64") : computed!;
  }
  // After owner and mode: chown would clear security.capability.
  if (h.xattrs && h.type === "file") writeXattrs(full, h.xattrs);
  const fileAcl = h.type === "symlink" ? `${h.uid}:${h.gid}:777` : acl;
  const file: InstalledFile = {
    name: posix.basename(name),
    ...(fileAcl !== "0:0:644" ? { acl: fileAcl } : {}),
    checksum,
  };
  const dir = dirRecord(parent);
  dir.files.push(file);
  owners.set(real, { pkg, dir, file });
}

function mayReplace(pkg: ApkPackage, owner: ApkPackage): boolean {
  if (pkg.origin && pkg.origin === owner.origin) return true;
  const names = (l: string[]) => l.map((r) => r.split(/[<>=~]/)[0]);
  return names(pkg.replaces).includes(owner.name) || names(owner.replaces).includes(pkg.name);
}

function sha1(data: Uint8Array): string {
  return "Q1" + createHash("sha1").update(data).digest("base64");
}

/** Writes `body` to a new file at `path` chunk by chunk; with `hash`, returns its `Q1` SHA-1. */
async function writeStream(
  path: string,
  body: AsyncIterable<Uint8Array>,
  hash: boolean,
): Promise<string | undefined> {
  const h = hash ? createHash("sha1") : undefined;
  const fd = openSync(path, "w", 0o600);
  try {
    for await (const chunk of body) {
      h?.update(chunk);
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
    }
  } finally {
    closeSync(fd);
  }
  return h ? "Q1" + h.digest("base64") : undefined;
}
