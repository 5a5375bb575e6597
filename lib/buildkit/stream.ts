/**
 * A gRPC bidirectional stream as an async iterable of incoming messages plus
 * a `send` that waits when the transport's buffer is full, so large transfers
 * keep memory bounded.
 */
import type { EventEmitter } from "node:events";

/** The parts of a grpc-js duplex call this adapter uses. */
export interface DuplexCall<Out> extends EventEmitter {
  write(msg: Out, cb?: (err?: Error | null) => void): boolean;
  end(): void;
  pause(): void;
  resume(): void;
}

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

/** Wraps a duplex call. Receiving pauses the call while unread messages pile up. */
export function messageStream<In, Out>(call: DuplexCall<Out>): MessageStream<In, Out> {
  const queue: In[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  call.on("data", (m: In) => {
    queue.push(m);
    if (queue.length > 64) call.pause();
    notify();
  });
  call.on("end", () => {
    done = true;
    notify();
  });
  call.on("error", (err: unknown) => {
    failure = err;
    done = true;
    notify();
  });
  call.on("cancelled", () => {
    failure ??= new Error("stream cancelled by the peer");
    done = true;
    notify();
  });

  return {
    async *[Symbol.asyncIterator]() {
      while (true) {
        if (queue.length) {
          const m = queue.shift()!;
          if (queue.length < 16) call.resume();
          yield m;
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
    send(msg: Out, written?: () => void): Promise<void> {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const ok = call.write(msg, (err) => {
          if (err) reject(err);
          else written?.();
        });
        if (ok) resolve();
        else call.once("drain", () => resolve());
      });
    },
    post(msg: Out): void {
      if (!failure) call.write(msg);
    },
    end() {
      call.end();
    },
  };
}
