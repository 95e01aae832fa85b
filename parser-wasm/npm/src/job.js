// A parse in progress as the caller sees it: batches as an async iterator with backpressure,
// a summary promise, progress callbacks and cancellation. The producer may run in this thread
// (Node) or in a Worker (browsers); either way it hands batches to `push` and waits for room.
import { abortError } from './core.js';

export class Job {
  #queue = [];
  #pulling = null;
  #room = [];
  #maxQueued;
  #done = false;
  #failure = null;
  #resolve;
  #reject;
  #onCancel;

  constructor({ maxQueued = 16, signal, onCancel }) {
    this.#maxQueued = maxQueued;
    this.#onCancel = onCancel;
    this.summary = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // An unobserved rejection is the caller's to handle through `summary`.
    this.summary.catch(() => {});
    if (signal?.aborted) queueMicrotask(() => this.cancel(signal.reason));
    signal?.addEventListener('abort', () => this.cancel(signal.reason), { once: true });
  }

  /** Hands over a batch; resolves when there is room for another. */
  push(batch) {
    if (this.#done) return Promise.resolve();
    if (this.#pulling) {
      const wake = this.#pulling;
      this.#pulling = null;
      wake({ value: batch, done: false });
    } else {
      this.#queue.push(batch);
    }
    if (this.#queue.length < this.#maxQueued) return Promise.resolve();
    return new Promise((resolve) => this.#room.push(resolve));
  }

  /** Whether the producer may go on without waiting (for producers that count). */
  hasRoom() {
    return this.#queue.length < this.#maxQueued;
  }

  finish(summary) {
    if (this.#done) return;
    this.#done = true;
    this.#resolve(summary);
    this.#wakeConsumer();
  }

  fail(error) {
    if (this.#done) return;
    this.#done = true;
    this.#failure = error;
    this.#reject(error);
    this.#wakeConsumer();
    this.#room.splice(0).forEach((resolve) => resolve());
  }

  /** Stops the parse: the summary and the batch iterator reject with an AbortError. */
  cancel(reason) {
    if (this.#done) return;
    this.#onCancel?.(reason);
    this.fail(abortError(reason));
  }

  #wakeConsumer() {
    if (!this.#pulling) return;
    const wake = this.#pulling;
    this.#pulling = null;
    if (this.#queue.length) wake({ value: this.#queue.shift(), done: false });
    else if (this.#failure) wake(Promise.reject(this.#failure));
    else wake({ value: undefined, done: true });
  }

  #next() {
    if (this.#queue.length) {
      const value = this.#queue.shift();
      this.#room.shift()?.();
      this.onTaken?.();
      return Promise.resolve({ value, done: false });
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#pulling = (result) => {
        this.onTaken?.();
        resolve(result);
      };
    });
  }

  /** The batches, in order. */
  batches() {
    return { next: () => this.#next(), [Symbol.asyncIterator]() { return this; } };
  }

  [Symbol.asyncIterator]() {
    return this.batches();
  }
}
