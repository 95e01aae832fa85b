// A parse in progress as the caller sees it: batches as an async iterator with backpressure,
// a summary promise, progress callbacks and cancellation. The producer may run in this thread
// (Node) or in a Worker (browsers); either way it hands batches to `push` and waits for room.
import { abortError } from './core.js';

export class Job {
  #queue = [];
  #pulling = null;
  #handedOut = false;
  #room = [];
  #maxQueued;
  #done = false;
  #failure = null;
  #resolve;
  #reject;
  #onCancel;
  /** @type {(() => void) | undefined} Called when the caller takes a batch (a Worker is told, to fill another). */
  onTaken;

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
    // Asking for the next batch means the caller is done with the last one (and has released
    // it): only now is there room for the producer to make another.
    if (this.#handedOut) {
      this.#handedOut = false;
      this.#room.shift()?.();
      this.onTaken?.();
    }
    if (this.#queue.length) return Promise.resolve(this.#handOut(this.#queue.shift()));
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#pulling = (result) => resolve(result.done === false ? this.#handOut(result.value) : result);
    });
  }

  #handOut(value) {
    this.#handedOut = true;
    return { value, done: false };
  }

  /** The batches, in order; leaving the loop early cancels the parse. */
  batches() {
    return {
      next: () => this.#next(),
      return: (value) => {
        if (!this.#done) this.cancel('the batches were no longer read');
        return Promise.resolve({ value, done: true });
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  [Symbol.asyncIterator]() {
    return this.batches();
  }
}
