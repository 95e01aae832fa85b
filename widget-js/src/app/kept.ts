// The batches the review's check keeps for the submission, so that a file is parsed once per
// import (docs/widget.md, "One parse per import"). The check makes the very batches the
// submission sends (same options, same file) and keeps them when they fit a budget of batch
// bytes; a file larger than the budget keeps none, and the submission parses it again, as a page
// must not hold a large file's batches. Anything that changes the batches (an edit, the mapping,
// the reader's or the host page's settings) changes the key, and kept batches with another key
// are never sent.
import type { Batch, ParseFileOptions } from '@sluice/parser';
import { mappingSpec, patches, readerOptions, type State } from './state';

/** Batch bytes kept in memory by default (batches are about the size of the CSV they come from). */
export const KEEP_BYTES = 256 * 1024 * 1024;

/** A batch as the submission needs it: its header fields and its bytes, sized exactly. */
export type KeptBatch = Pick<Batch, 'sequence' | 'firstRow' | 'rowCount' | 'bytes'>;

/** Every batch of one check, or none when they do not fit the budget. */
export class Kept {
  readonly batches: KeptBatch[] = [];
  bytes = 0;
  /** Whether the check ended with every one of its batches kept. */
  complete = false;
  private over: boolean;

  constructor(
    /** What the batches were made from (`keyOf`). */
    readonly key: string,
    private readonly budget: number,
    /** The file's size: a file larger than the budget keeps nothing from the start. */
    fileSize: number,
  ) {
    this.over = fileSize > budget;
  }

  /** Keeps a copy of `batch` while the budget allows, and hands its buffer back to the parser. */
  take(batch: Batch): void {
    if (!this.over && this.bytes + batch.bytes.byteLength > this.budget) this.drop();
    if (!this.over) {
      const { sequence, firstRow, rowCount } = batch;
      this.batches.push({ sequence, firstRow, rowCount, bytes: batch.bytes.slice() });
      this.bytes += batch.bytes.byteLength;
    }
    batch.release?.();
  }

  /** Whether the check should make batches at all (not for a file larger than the budget). */
  get wanted(): boolean {
    return !this.over;
  }

  /** The check ended: the batches are all here unless the budget was reached. */
  finish(): void {
    this.complete = !this.over;
  }

  /** Past the budget: the batches kept so far go too (the submission parses the file again). */
  private drop(): void {
    this.over = true;
    this.batches.length = 0;
    this.bytes = 0;
  }
}

/** The parser options that decide the batches, the same for the check and the submission. */
export function batchOptions(state: State): ParseFileOptions {
  const limits = state.config.limits;
  return {
    schema: state.schema,
    reader: readerOptions(state),
    mapping: mappingSpec(state),
    patches: patches(state),
    batches: { maxRows: limits.batchRows, maxBytes: limits.batchBytes },
    includeInvalid: state.config.invalidRows === 'record' && Boolean(state.settings.options.allowInvalid),
  };
}

/** What batches made with `options` from the chosen file depend on, as one string. */
export function keyOf(state: State, options: ParseFileOptions): string {
  const file = state.file;
  return JSON.stringify([file?.name, file?.size, file?.lastModified, options]);
}

/** The kept batches, when they are all there and were made for what the submission would send now. */
export function keptFor(state: State, options: ParseFileOptions): Kept | null {
  const kept = state.kept;
  return kept?.complete && kept.key === keyOf(state, options) ? kept : null;
}

/**
 * The budget of batch bytes kept: `KEEP_BYTES`, or for tests a smaller one the test sets on the
 * app's root element (`data-keep-bytes`) before the check runs.
 */
export function keepBudget(): number {
  const set = document.getElementById('sluice')?.dataset['keepBytes'];
  const bytes = set ? Number(set) : Number.NaN;
  return Number.isFinite(bytes) && bytes >= 0 ? bytes : KEEP_BYTES;
}

/** Counts the app's passes over a file (a User Timing mark each), for tests and benchmarks. */
export function markParse(): void {
  performance.mark('sluice:parse');
}
