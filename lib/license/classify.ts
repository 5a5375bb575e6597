/**
 * Naming the license a file holds, offline: the file's words are compared
 * with the text of every license on the SPDX list (the spdx-license-list
 * package). melange uses Google's licenseclassifier; this is a simpler
 * measure with the same outputs: a name and a confidence in [0, 1], of
 * which melange trusts 0.9 and above.
 *
 * Texts are compared as sets of three-word sequences (shingles), after
 * lower-casing, dropping punctuation and copyright lines (which differ in
 * every project). The best license is the one whose shingles agree most
 * with the file's (Dice coefficient); its confidence is the share of that
 * license's text found in the file. A file that holds a second license
 * (dual-licensed texts) gets it too, when nearly all of it is among the
 * file's remaining shingles.
 */

/** A license found in a file. */
export interface Match {
  /** SPDX identifier (`NOASSERTION` when nothing matched). */
  name: string;
  confidence: number;
}

/** The SPDX list's entries, by identifier. */
export type Corpus = Record<string, { licenseText: string }>;

/** A second license in the same file must be at least this present, and this long. */
const SECOND_MATCH = 0.9;
const MIN_SHINGLES = 20;

/** The words of `text`, normalized (copyright lines dropped). */
export function words(text: string): string[] {
  const kept = text.toLowerCase().split(/\r?\n/)
    .filter((l) => !/^\W*(copyright|\(c\)|©)/.test(l.trim()));
  return kept.join("\n").replace(/licence/g, "license").replace(/&/g, " and ")
    .match(/[a-z0-9]+/g) ?? [];
}

/**
 * The three-word sequences of `text`, each hashed to a small integer: words
 * get ids from `vocab` (new ones added), and the three ids mix into 30 bits
 * (V8's small integers, which sets hash far faster than strings or larger
 * numbers; a rare collision only nudges a score).
 */
function shingles(text: string, vocab: Map<string, number>): Set<number> {
  const ids = words(text).map((w) => {
    let id = vocab.get(w);
    if (id === undefined) vocab.set(w, id = vocab.size);
    return id;
  });
  const out = new Set<number>();
  for (let i = 0; i + 3 <= ids.length; i++) {
    const h = Math.imul(ids[i], 0x9e3779b1) ^ Math.imul(ids[i + 1] + 1, 0x85ebca77) ^
      Math.imul(ids[i + 2] + 2, 0xc2b2ae3d);
    out.add((h ^ (h >>> 15)) & 0x3fffffff);
  }
  return out;
}

/** Compares files against a corpus of license texts (read once, used for many files). */
export class Classifier {
  #known: { name: string; set: Set<number> }[];
  #vocab = new Map<string, number>();

  constructor(corpus: Corpus) {
    this.#known = Object.entries(corpus)
      .map(([name, e]) => ({ name, set: shingles(e.licenseText ?? "", this.#vocab) }))
      .filter((k) => k.set.size > 0)
      // Equal scores go to the shorter name (GPL-2.0 before GPL-2.0-only, as licenseclassifier).
      .sort((a, b) => a.name.length - b.name.length || (a.name < b.name ? -1 : 1));
  }

  /** The licenses in `text`, best first; `NOASSERTION` with confidence 0 when none. */
  identify(text: string): Match[] {
    const whole = shingles(text, this.#vocab);
    const first = this.#best(whole, (i, k) => (2 * i) / (k.size + whole.size));
    if (!first || first.shared === 0) return [{ name: "NOASSERTION", confidence: 0 }];
    const out: Match[] = [{ name: first.name, confidence: first.shared / first.set.size }];
    let rest = without(whole, first.set);
    for (let more = 0; more < 2; more++) {
      // Nearly all of it in the file, and explaining much of what is left unexplained.
      const next = this.#best(
        rest,
        (i, k) =>
          k.size >= MIN_SHINGLES && i >= k.size / 2 && common(k, whole) >= SECOND_MATCH * k.size
            ? i
            : 0,
      );
      if (!next || out.some((m) => m.name === next.name)) break;
      out.push({ name: next.name, confidence: common(next.set, whole) / next.set.size });
      rest = without(rest, next.set);
    }
    return out;
  }

  /** The known license scoring highest against `file` (0 scores never win). */
  #best(file: Set<number>, score: (shared: number, known: Set<number>) => number) {
    let best: { name: string; set: Set<number>; shared: number } | undefined;
    let bestScore = 0;
    for (const k of this.#known) {
      const shared = common(k.set, file);
      const sc = score(shared, k.set);
      if (sc > bestScore) {
        bestScore = sc;
        best = { name: k.name, set: k.set, shared };
      }
    }
    return best;
  }
}

/** How many shingles two sets share. */
function common(a: Set<number>, b: Set<number>): number {
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  let n = 0;
  for (const s of small) if (large.has(s)) n++;
  return n;
}

function without(a: Set<number>, b: Set<number>): Set<number> {
  const out = new Set<number>();
  for (const s of a) if (!b.has(s)) out.add(s);
  return out;
}

/** The corpus the spdx-license-list package ships (loaded only when a check runs). */
export async function spdxCorpus(): Promise<Corpus> {
  const mod = await import("spdx-license-list/full.js");
  return (mod.default ?? mod) as Corpus;
}

const NOTICE =
  /^(AFL-|Apache-|Artistic-|BSD-|BSL-1\.0|CC-BY-\d|FTL|ISC|ImageMagick|Libpng|libpng|Lil-1\.0|Linux-OpenIB|LPL-1\.02?|MIT|MS-PL|NCSA|OpenSSL|PHP-3\.|PostgreSQL|Python-2\.0|TCP-wrappers|Unicode-|UPL-1\.0|W3C|X11|Xnet|Zend-2\.0|Zlib|ZPL-2\.|libtiff|curl|BlueOak-)/;
const UNENCUMBERED = new Set(["CC0-1.0", "Unlicense", "0BSD"]);
const RECIPROCAL = /^(APSL-|CDDL-|CPL-|EPL-|IPL-|MPL-|Ruby)/;
const RESTRICTED = /^(BCL|CC-BY-ND|CC-BY-SA|GPL-|LGPL-|NPL-|OSL-|QPL-|Sleepycat|eCos)/;
const FORBIDDEN = /^(AGPL-|CC-BY-NC|Commons-Clause|Facebook-|SSPL-|WTFPL)/;

/**
 * A license's kind as go-licenses names them (melange warns about any that
 * is not `notice` or `unencumbered`); `unknown` for the rest.
 */
export function licenseType(name: string): string {
  if (UNENCUMBERED.has(name)) return "unencumbered";
  if (FORBIDDEN.test(name)) return "forbidden";
  if (RESTRICTED.test(name)) return "restricted";
  if (RECIPROCAL.test(name)) return "reciprocal";
  if (NOTICE.test(name)) return "notice";
  return "unknown";
}
