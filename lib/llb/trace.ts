/**
 * How a state was made, recorded as it is made: every State carries the node
 * of the API call that produced it, whose fields name the nodes it was made
 * from. `describe` turns these into a portable recipe that BuildKit's own Go
 * client can replay (the differential tests do), and that a person can read.
 */

/** One API call: its kind (`image`, `run`, `env`, ...) and its arguments. */
export class TraceNode {
  constructor(readonly kind: string, readonly fields: Readonly<Record<string, unknown>> = {}) {}
}

/** The node of the empty file system. */
export const SCRATCH_NODE: TraceNode = new TraceNode("scratch");
