/**
 * A daemon whose disk is full fails in many places (receiving the build's
 * files, committing a step, copying, exporting), each with the bare errno
 * text of the write that failed, which reads as if the user's own disk were
 * full. These name the daemon's disk and what to do about it.
 */

const DISK_FULL = /no space left on device|ENOSPC|disk quota exceeded|EDQUOT/i;

/** Whether an error's text is a write that found a disk full. */
export function isDiskFull(text: string): boolean {
  return DISK_FULL.test(text);
}

/** The advice for a full daemon disk at `addr`, one sentence. */
export function daemonDiskFull(addr: string): string {
  return `the BuildKit daemon at ${addr} has run out of disk space (on its state directory, ` +
    "its --root, /var/lib/buildkit by default, where it keeps snapshots, steps' files and " +
    "its cache): free space there or prune its cache (`buildctl --addr " + addr +
    " prune`), then build again";
}
