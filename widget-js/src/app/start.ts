// Start tokens for importers that require signed starts (docs/protocol.md §4.8): the app asks
// the host page for one at each start, and the loader answers with the token it was given or a
// fresh one from the host's function. The token never leaves this exchange but to the server.
import { ApiError } from './api';
import { tell } from './state';
import type { ToApp } from '../messages';

/** How long the host page may take to give a token. */
const WAIT_MS = 30_000;

type Answer = Extract<ToApp, { type: 'startToken' }>;

export class StartTokens {
  private next = 1;
  private readonly pending = new Map<number, (answer: Answer | null) => void>();

  constructor(private readonly parentOrigin: string) {}

  /** A token from the host page, or null when it has none; fails when it cannot give one. */
  request(): Promise<string | null> {
    const id = this.next;
    this.next += 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.pending.get(id)?.(null), WAIT_MS);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (!answer) reject(unavailable('the host page did not answer'));
        else if (answer.error) reject(unavailable(answer.error));
        else resolve(typeof answer.token === 'string' ? answer.token : null);
      });
      tell({ parentOrigin: this.parentOrigin }, { sluice: 1, type: 'startToken', id });
    });
  }

  /** The host page's answer to a request. */
  answer(message: Answer): void {
    this.pending.get(message.id)?.(message);
  }
}

function unavailable(why: string): ApiError {
  return new ApiError(403, 'start_token_unavailable', `the host page gave no start token: ${why}`);
}
