/**
 * melange's `--trace FILE`: the build's spans, written as OpenTelemetry's
 * Go stdout exporter (stdouttrace) writes them: one JSON object per ended
 * span, children before their parents, with the same field names, so
 * tools that read melange's trace files read these.
 */
import { randomBytes } from "node:crypto";

/** A key/value of a span, as stdouttrace spells attributes. */
interface Attribute {
  Key: string;
  Value: { Type: "STRING" | "INT64" | "BOOL"; Value: string | number | boolean };
}

/** An ended span, in stdouttrace's JSON form. */
export interface SpanRecord {
  Name: string;
  SpanContext: SpanContext;
  Parent: SpanContext;
  SpanKind: number;
  StartTime: string;
  EndTime: string;
  Attributes: Attribute[] | null;
  Events: null;
  Links: null;
  Status: { Code: "Unset" | "Error"; Description: string };
  DroppedAttributes: 0;
  DroppedEvents: 0;
  DroppedLinks: 0;
  ChildSpanCount: number;
  Resource: Attribute[];
  InstrumentationScope: Scope;
  InstrumentationLibrary: Scope;
}

interface SpanContext {
  TraceID: string;
  SpanID: string;
  TraceFlags: string;
  TraceState: string;
  Remote: boolean;
}

interface Scope {
  Name: string;
  Version: string;
  SchemaURL: string;
  Attributes: null;
}

const NO_PARENT: SpanContext = {
  TraceID: "0".repeat(32),
  SpanID: "0".repeat(16),
  TraceFlags: "00",
  TraceState: "",
  Remote: false,
};

/** A span being recorded; {@link Span.end} hands it to its tracer. */
export class Span {
  readonly context: SpanContext;
  #children = 0;
  #attributes: Attribute[] = [];
  #error?: string;
  #ended = false;

  constructor(
    readonly tracer: Tracer,
    readonly name: string,
    readonly parent: Span | undefined,
    readonly start = new Date(),
  ) {
    this.context = {
      TraceID: parent?.context.TraceID ?? randomBytes(16).toString("hex"),
      SpanID: randomBytes(8).toString("hex"),
      TraceFlags: "01",
      TraceState: "",
      Remote: false,
    };
    if (parent) parent.#children++;
  }

  /** A child span. */
  child(name: string): Span {
    return new Span(this.tracer, name, this);
  }

  /** Records a string attribute. */
  set(key: string, value: string): this {
    this.#attributes.push({ Key: key, Value: { Type: "STRING", Value: value } });
    return this;
  }

  /** Ends the span; with an error, its status is Error with the message. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) this.#error = error instanceof Error ? error.message : String(error);
    this.tracer.record(this.#record(new Date()));
  }

  /** Runs `fn` in a child span, ending it (with the error, if any) when `fn` settles. */
  async run<T>(name: string, fn: (span: Span) => Promise<T> | T): Promise<T> {
    const span = this.child(name);
    try {
      const out = await fn(span);
      span.end();
      return out;
    } catch (err) {
      span.end(err);
      throw err;
    }
  }

  #record(end: Date): SpanRecord {
    const scope = { Name: this.tracer.scope, Version: "", SchemaURL: "", Attributes: null };
    return {
      Name: this.name,
      SpanContext: this.context,
      Parent: this.parent?.context ?? NO_PARENT,
      SpanKind: 1, // internal
      StartTime: this.start.toISOString(),
      EndTime: end.toISOString(),
      Attributes: this.#attributes.length ? this.#attributes : null,
      Events: null,
      Links: null,
      Status: this.#error !== undefined
        ? { Code: "Error", Description: this.#error }
        : { Code: "Unset", Description: "" },
      DroppedAttributes: 0,
      DroppedEvents: 0,
      DroppedLinks: 0,
      ChildSpanCount: this.#children,
      Resource: this.tracer.resource,
      InstrumentationScope: scope,
      InstrumentationLibrary: scope,
    };
  }
}

/** Collects ended spans; {@link Tracer.lines} is the trace file's text. */
export class Tracer {
  readonly spans: SpanRecord[] = [];
  readonly resource: Attribute[];

  constructor(readonly scope = "melange2") {
    this.resource = [
      { Key: "service.name", Value: { Type: "STRING", Value: `unknown_service:${scope}` } },
      { Key: "telemetry.sdk.name", Value: { Type: "STRING", Value: scope } },
    ];
  }

  /** A root span. */
  root(name: string): Span {
    return new Span(this, name, undefined);
  }

  /** Called by {@link Span.end}. */
  record(span: SpanRecord): void {
    this.spans.push(span);
  }

  /** One JSON line per ended span, in the order they ended. */
  lines(): string {
    return this.spans.map((s) => JSON.stringify(s) + "\n").join("");
  }
}

/** `fn` in a child span of `parent` named `name`, or plainly when there is no trace. */
export function traced<T>(
  parent: Span | undefined,
  name: string,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  return parent ? parent.run(name, fn) : fn(undefined);
}
