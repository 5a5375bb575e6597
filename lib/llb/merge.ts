/** Merge, diff and passthrough ops: compositions of whole file systems. */
import { finishOp, inputMessage, MarshalCache } from "./op.ts";
import type { Constraints, MarshalledOp, OpOptions, Output, Vertex } from "./types.ts";

/** Stacks file systems, later ones on top. */
export class MergeOp implements Vertex {
  readonly #cache = new MarshalCache();

  constructor(readonly sources: Output[], readonly opts: OpOptions = {}) {}

  inputs(): Output[] {
    return this.sources;
  }

  marshal(c: Constraints): MarshalledOp {
    // Go's client gives every input its own entry, repeated ones too.
    return this.#cache.get(c, () =>
      finishOp(
        {
          inputs: this.sources.map((o) => inputMessage(o, c)),
          merge: { inputs: this.sources.map((_, i) => ({ input: i })) },
        },
        this.opts,
        ["mergeop"],
        null,
      ));
  }
}

/** The changes that turn `lower` into `upper`; null sides are scratch. */
export class DiffOp implements Vertex {
  readonly #cache = new MarshalCache();

  constructor(
    readonly lower: Output | null,
    readonly upper: Output | null,
    readonly opts: OpOptions = {},
  ) {}

  inputs(): Output[] {
    return [this.lower, this.upper].filter((o): o is Output => o !== null);
  }

  marshal(c: Constraints): MarshalledOp {
    return this.#cache.get(c, () => {
      const inputs: { digest: string; index: number }[] = [];
      const side = (o: Output | null) => {
        if (!o) return { input: -1 };
        inputs.push(inputMessage(o, c));
        return { input: inputs.length - 1 };
      };
      const lower = side(this.lower);
      const upper = side(this.upper);
      return finishOp({ inputs, diff: { lower, upper } }, this.opts, ["diffop"], null);
    });
  }
}

/** Passes some of its inputs through unchanged, so a result can depend on others. */
export class PassthroughOp implements Vertex {
  readonly #cache = new MarshalCache();

  /** `sources` in order; `outputs` lists which of them are results (by position). */
  constructor(
    readonly id: string,
    readonly sources: Output[],
    readonly outputs: number[],
    readonly opts: OpOptions = {},
  ) {}

  inputs(): Output[] {
    return this.sources;
  }

  marshal(c: Constraints): MarshalledOp {
    if (!this.outputs.length) throw new Error("passthrough must have at least one output");
    return this.#cache.get(c, () =>
      finishOp(
        {
          inputs: this.sources.map((o) => inputMessage(o, c)),
          passthrough: { id: this.id, outputs: this.outputs },
        },
        this.opts,
        ["passthroughop"],
        null,
      ));
  }
}
