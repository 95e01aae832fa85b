// A schema column's label and hint in the end user's language: a schema may give either as one
// string or as a table of language tag → string; the host page's language comes first, then the
// importer's UI language, then the browser's, then English, then the table's first entry.
import type { SchemaColumn, TranslatedText } from '@sluice/parser';
import { language } from './strings';
import type { State } from './state';

/** The languages to look for, best first. */
function wanted(state: Pick<State, 'settings'>): string[] {
  const asked = [state.settings.options.language, language(), ...(navigator.languages ?? [])];
  return asked.filter((l): l is string => Boolean(l));
}

/** `text` in the user's language (`de-CH` finds `de`), else English, else its first entry. */
export function pick(text: TranslatedText | undefined, languages: string[]): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  const entries = Object.entries(text);
  const find = (tag: string) => entries.find(([l]) => l.toLowerCase() === tag.toLowerCase())?.[1];
  for (const tag of languages) {
    const found = find(tag) ?? find(tag.split(/[-_]/)[0] ?? tag);
    if (found !== undefined) return found;
  }
  return find('en') ?? entries[0]?.[1];
}

/** The name a field is shown under. */
export function fieldLabel(state: Pick<State, 'settings'>, column: SchemaColumn): string {
  return pick(column.label, wanted(state)) ?? column.key;
}

/** The help text shown under a field on the mapping step, if the schema gives one. */
export function fieldHint(state: Pick<State, 'settings'>, column: SchemaColumn): string | undefined {
  return pick(column.hint, wanted(state));
}
