// The review step's undo stack: single edits and deletions, and bulk fixes, each entry knowing
// how to put the state back as it was. The review step redraws and checks again after an undo.
import type { State } from './state';

/** The most changes remembered. */
const DEPTH = 200;

export interface UndoEntry {
  /** What was done, as the user reads it ("1,234 invalid rows deleted"). */
  label: string;
  /** Puts the state back. */
  undo: () => void;
}

/** Remembers a change that was just made. */
export function remember(state: State, entry: UndoEntry): void {
  state.undo.push(entry);
  if (state.undo.length > DEPTH) state.undo.shift();
}

/** Undoes the last change; returns it, or null when there is none. */
export function undoLast(state: State): UndoEntry | null {
  const entry = state.undo.pop() ?? null;
  entry?.undo();
  return entry;
}

/** Remembers a cell edit: the row's edits before it come back on undo. */
export function rememberEdit(state: State, row: number, label: string): void {
  const before = state.edits.get(row);
  remember(state, { label, undo: () => (before ? state.edits.set(row, before) : state.edits.delete(row)) });
}

/** Remembers the deletion of rows that were not deleted before. */
export function rememberDeletion(state: State, rows: number[], label: string): void {
  remember(state, { label, undo: () => rows.forEach((row) => state.deleted.delete(row)) });
}
