/** A tree's state for "nothing was written" checks, without reading FIFOs or devices. */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";

/** Every entry under `root` (type, mode, size, mtime, content hash), FIFOs unread. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(root)) return out;
  const todo = [""];
  for (let rel = todo.pop(); rel !== undefined; rel = todo.pop()) {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, path));
      const head = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`;
      if (st.isSymbolicLink()) out[path] = `link ${head} ${readlinkSync(join(root, path))}`;
      else if (st.isDirectory()) {
        out[path] = `dir ${head}`;
        todo.push(path);
      } else if (st.isFile()) {
        const h = createHash("sha256").update(readFileSync(join(root, path))).digest("hex");
        out[path] = `file ${head} ${h}`;
      } else out[path] = `special ${head}`;
    }
  }
  return out;
}
