/**
 * The local repository's tool packages: what the built-in pipelines need
 * (as melange's do: scanelf, autoconf, wget, git, cmake, ruby, python3...),
 * each made from Debian packages installed on this machine (setup.sh
 * installs them).
 */
import { existsSync, readdirSync, readlinkSync, symlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * Tools the built-in pipelines need (as melange's do), each from its Debian
 * package and what it depends on that no earlier package holds. In order:
 * a package may depend on those before it.
 */
export const TOOL_PACKAGES: {
  name: string;
  debs: string[];
  depends: string[];
  description: string;
  license: string;
}[] = [
  {
    name: "scanelf",
    debs: ["pax-utils"],
    depends: ["glibc"],
    description: "scanelf and the other pax-utils, from Debian's pax-utils",
    license: "GPL-2.0-only",
  },
  {
    name: "perl",
    debs: ["perl"],
    depends: ["glibc"],
    description: "perl, from Debian's perl and what it depends on",
    license: "GPL-1.0-or-later OR Artistic-1.0-Perl",
  },
  {
    name: "m4",
    debs: ["m4"],
    depends: ["glibc"],
    description: "GNU m4, from Debian's m4",
    license: "GPL-3.0-or-later",
  },
  {
    name: "autoconf",
    debs: ["autoconf"],
    depends: ["perl", "m4", "busybox"],
    description: "GNU autoconf, from Debian's autoconf",
    license: "GPL-2.0-or-later",
  },
  {
    name: "automake",
    debs: ["automake", "autotools-dev"],
    depends: ["autoconf", "perl"],
    description: "GNU automake, from Debian's automake",
    license: "GPL-2.0-or-later",
  },
  {
    name: "libtool",
    debs: ["libtool"],
    depends: ["build-base", "busybox"],
    description: "GNU libtool, from Debian's libtool and what it depends on",
    license: "GPL-2.0-or-later",
  },
  {
    name: "patch",
    debs: ["patch"],
    depends: ["glibc"],
    description: "GNU patch, from Debian's patch",
    license: "GPL-3.0-or-later",
  },
  {
    name: "ruby",
    debs: ["ruby"],
    depends: ["glibc"],
    description: "ruby and gem, from Debian's ruby and what it depends on",
    license: "Ruby",
  },
  {
    name: "python3",
    debs: ["python3", "python-is-python3"],
    depends: ["glibc"],
    description: "python3 (and python), from Debian's python3 and what it depends on",
    license: "PSF-2.0",
  },
  {
    name: "py3-setuptools",
    debs: ["python3-setuptools"],
    depends: ["python3"],
    description: "setuptools, from Debian's python3-setuptools",
    license: "MIT",
  },
  {
    name: "wget",
    debs: ["wget"],
    depends: ["glibc"],
    description: "GNU wget, from Debian's wget and what it depends on",
    license: "GPL-3.0-or-later",
  },
  {
    name: "git",
    debs: ["git"],
    depends: ["glibc", "perl"],
    description: "git, from Debian's git and what it depends on",
    license: "GPL-2.0-only",
  },
  {
    name: "ninja",
    debs: ["ninja-build"],
    depends: ["glibc"],
    description: "ninja, from Debian's ninja-build",
    license: "Apache-2.0",
  },
  {
    name: "cmake",
    debs: ["cmake"],
    depends: ["glibc", "build-base"],
    description: "CMake, from Debian's cmake and what it depends on",
    license: "BSD-3-Clause",
  },
];

/**
 * Debian packages no tool package takes as a dependency (a package named as
 * a tool's own root is still taken): Debian's package and configuration
 * machinery, python for pax-utils' scripts, and the CA certificates that
 * ca-certificates-bundle already installs.
 */
export const TOOL_SKIP = [
  "dpkg",
  "debianutils",
  "debconf",
  "ca-certificates",
  "python3",
  "python3-pyelftools",
];

/** The Debian packages the tool packages are made from (for the repository's fingerprint). */
export const TOOL_DEBS = TOOL_PACKAGES.flatMap((t) => t.debs);

/**
 * The commands Debian installs through update-alternatives (automake's
 * `aclocal` and `automake` are `aclocal-1.16`...): `dpkg -L` does not list
 * them, so a link is made in `dir` for each whose choice is staged there.
 */
export function linkAlternatives(dir: string): void {
  let names: string[];
  try {
    names = readdirSync("/etc/alternatives");
  } catch {
    return;
  }
  for (const name of names) {
    const command = `/usr/bin/${name}`;
    let chosen: string;
    try {
      if (readlinkSync(command) !== `/etc/alternatives/${name}`) continue;
      chosen = readlinkSync(`/etc/alternatives/${name}`);
    } catch {
      continue;
    }
    if (!chosen.startsWith("/usr/bin/") || !existsSync(join(dir, chosen))) continue;
    if (!existsSync(join(dir, command))) {
      symlinkSync(chosen.slice("/usr/bin/".length), join(dir, command));
    }
  }
}
