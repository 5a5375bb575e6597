/**
 * JSON text as Go's encoding/json writes it, for attributes that BuildKit's
 * client fills with `json.Marshal` (pattern lists): JSON.stringify's output
 * plus Go's HTML-safe escapes of `<`, `>`, `&` and of U+2028, U+2029.
 */

const GO_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** `json.Marshal(list)` of a list of strings. */
export function goJSONStrings(list: readonly string[]): string {
  return JSON.stringify(list).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]);
}
