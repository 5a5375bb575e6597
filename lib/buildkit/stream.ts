/**
 * A gRPC bidirectional stream as the transfers see it: an async iterable of
 * incoming messages plus a `send` that waits when the transport's buffer is
 * full, so large transfers keep memory bounded.
 */

/** A message stream: iterate to receive, `send` to write. */
export interface MessageStream<In, Out> extends AsyncIterable<In> {
  /**
   * Writes, waiting while the transport's buffer is full. `written` is told
   * when the transport is done with `msg` (so its memory may be reused).
   */
  send(msg: Out, written?: () => void): Promise<void>;
  /**
   * Writes without waiting, for small control messages sent from a loop that
   * must keep reading (waiting there could deadlock with a peer that stops
   * reading while its own sends are blocked).
   */
  post(msg: Out): void;
  end(): void;
}
