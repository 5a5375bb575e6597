/**
 * File modes on the wire: fsutil sends Go's os.FileMode (permissions plus
 * type bits high up), not the unix st_mode the kernel uses.
 */

const GO = {
  dir: 1 << 31,
  symlink: 1 << 27,
  device: 1 << 26,
  namedPipe: 1 << 25,
  socket: 1 << 24,
  setuid: 1 << 23,
  setgid: 1 << 22,
  charDevice: 1 << 21,
  sticky: 1 << 20,
} as const;

const S_IFMT = 0o170000;

/** Converts a unix st_mode to Go's os.FileMode bits (as an unsigned 32-bit number). */
export function toGoMode(unix: number): number {
  let m = unix & 0o777;
  switch (unix & S_IFMT) {
    case 0o040000:
      m |= GO.dir;
      break;
    case 0o120000:
      m |= GO.symlink;
      break;
    case 0o010000:
      m |= GO.namedPipe;
      break;
    case 0o140000:
      m |= GO.socket;
      break;
    case 0o020000:
      m |= GO.device | GO.charDevice;
      break;
    case 0o060000:
      m |= GO.device;
      break;
  }
  if (unix & 0o4000) m |= GO.setuid;
  if (unix & 0o2000) m |= GO.setgid;
  if (unix & 0o1000) m |= GO.sticky;
  return m >>> 0;
}

/** The kind of entry a Go file mode describes. */
export type EntryKind = "file" | "dir" | "symlink" | "fifo" | "socket" | "chardev" | "blockdev";

/** The entry kind of a Go file mode. */
export function kindOf(goMode: number): EntryKind {
  if (goMode & GO.dir) return "dir";
  if (goMode & GO.symlink) return "symlink";
  if (goMode & GO.namedPipe) return "fifo";
  if (goMode & GO.socket) return "socket";
  if (goMode & GO.device) return goMode & GO.charDevice ? "chardev" : "blockdev";
  return "file";
}

/** Permission bits plus setuid/setgid/sticky, as chmod takes them. */
export function permOf(goMode: number): number {
  let m = goMode & 0o777;
  if (goMode & GO.setuid) m |= 0o4000;
  if (goMode & GO.setgid) m |= 0o2000;
  if (goMode & GO.sticky) m |= 0o1000;
  return m;
}
