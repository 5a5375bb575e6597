/**
 * IP addresses written as Go's `net.IP.String` writes them, since extra
 * hosts reach the op as text: dotted IPv4 (also for IPv4-mapped IPv6), and
 * IPv6 in its shortest form, lower case, with the longest run of zeros
 * compressed (RFC 5952).
 */

const V4_PART = /^(?:0|[1-9][0-9]{0,2})$/;

/** The canonical text of `ip`; throws when Go's `net.ParseIP` would not read it. */
export function canonicalIP(ip: string): string {
  const v4 = parseV4(ip);
  if (v4) return v4.join(".");
  const v6 = ip.includes(":") ? parseV6(ip) : undefined;
  if (!v6) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  const mapped = v6.slice(0, 5).every((w) => w === 0) && v6[5] === 0xffff;
  if (mapped) return [v6[6] >> 8, v6[6] & 255, v6[7] >> 8, v6[7] & 255].join(".");
  return formatV6(v6);
}

function parseV4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => V4_PART.test(p) && Number(p) <= 255)) return;
  return parts.map(Number);
}

function parseV6(s: string): number[] | undefined {
  const halves = s.split("::");
  if (halves.length > 2) return;
  const words = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseV4(p);
        if (!v4) return;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return;
    }
    return out;
  };
  const head = words(halves[0]), tail = halves.length === 2 ? words(halves[1]) : [];
  if (!head || !tail) return;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return;
  return [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
}

function formatV6(w: number[]): string {
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestLen < 2) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}
