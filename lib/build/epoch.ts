/** When the files in a build's packages are dated: $SOURCE_DATE_EPOCH, `--build-date`, or 1970. */
import { UserError } from "../errors.ts";

/**
 * The packages' timestamps: $SOURCE_DATE_EPOCH when set (it wins over
 * `--build-date`, as in melange), else `--build-date` (RFC 3339), else 0.
 */
export function buildEpoch(buildDate: string | undefined): number {
  // Set but empty counts as unset, as melange does.
  if (Deno.env.get("SOURCE_DATE_EPOCH")?.trim() || !buildDate) return epochFromEnv();
  const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;
  const ms = rfc3339.test(buildDate) ? Date.parse(buildDate) : NaN;
  if (Number.isNaN(ms)) {
    throw new UserError(
      `--build-date ${buildDate}: expected an RFC 3339 date, e.g. 2024-01-31T12:00:00Z`,
    );
  }
  return Math.floor(ms / 1000);
}

/** $SOURCE_DATE_EPOCH in seconds; 0 when unset or empty. */
export function epochFromEnv(): number {
  const v = Deno.env.get("SOURCE_DATE_EPOCH")?.trim();
  if (v === undefined || v === "") return 0;
  if (!/^\d+$/.test(v)) throw new UserError(`SOURCE_DATE_EPOCH=${v}: expected seconds since 1970`);
  return Number(v);
}
