// The host page's own words for the importer's strings (`options.strings`), checked against the
// English table: a key the importer does not have, a value that is not a string, or one that
// drops or adds a placeholder is told to the host page's developer in the console and left out,
// never thrown (the person importing still gets a working importer).

/** The overrides that can be used: for every language, and per language code. */
export interface Checked<K extends string = string> {
  any: Partial<Record<K, string>>;
  byLanguage: Record<string, Partial<Record<K, string>>>;
  problems: string[];
}

const PLACEHOLDER = /\{(\w+)\}/g;

/**
 * Reads `raw`, either flat (`{ dropTitle: '…' }`, for whichever language is shown) or per
 * language (`{ de: { dropTitle: '…' }, 'pt-BR': { … } }`, a tag read as its language), or both;
 * `reference` is the English table, `languages` the codes the importer speaks.
 */
export function checkOverrides<K extends string>(raw: unknown, reference: Record<K, string>, languages: string[]): Checked<K> {
  const checked: Checked<K> = { any: {}, byLanguage: {}, problems: [] };
  if (raw === undefined || raw === null) return checked;
  if (!isPlainObject(raw)) {
    checked.problems.push('options.strings must be an object: { key: text } for the language shown, or { language: { key: text } }; it is ignored.');
    return checked;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') {
      addEntry(checked, checked.any, `options.strings.${name}`, name, value, reference);
    } else if (isPlainObject(value)) {
      const code = name.toLowerCase().split('-')[0] ?? '';
      if (!languages.includes(code)) {
        checked.problems.push(
          `options.strings.${name}: "${name}" is neither a string of the importer nor a language it speaks (${languages.join(', ')}); it is ignored.`,
        );
        continue;
      }
      checked.byLanguage[code] ??= {};
      const table = checked.byLanguage[code];
      for (const [key, text] of Object.entries(value)) addEntry(checked, table, `options.strings.${name}.${key}`, key, text, reference);
    } else {
      checked.problems.push(
        `options.strings.${name} must be a string (or, under a language code, an object of strings), not ${describe(value)}; it is ignored.`,
      );
    }
  }
  return checked;
}

/** Adds `text` for `key` to `table` when it can stand in for the English string. */
function addEntry<K extends string>(
  checked: Checked<K>,
  table: Partial<Record<K, string>>,
  path: string,
  key: string,
  text: unknown,
  reference: Record<K, string>,
): void {
  if (!Object.hasOwn(reference, key)) {
    const near = Object.keys(reference).find((k) => k.toLowerCase() === key.toLowerCase());
    checked.problems.push(
      `${path}: the importer has no string "${key}"${near ? ` (did you mean "${near}"?)` : ''}; it is ignored. The keys are those of widget-js/src/app/strings.ts in the Sluice repository.`,
    );
    return;
  }
  if (typeof text !== 'string') {
    checked.problems.push(`${path} must be a string, not ${describe(text)}; it is ignored.`);
    return;
  }
  const wanted = placeholders(reference[key as K]);
  const given = placeholders(text);
  if (wanted.join() !== given.join()) {
    const list = (names: string[]) => (names.length ? names.map((n) => `{${n}}`).join(', ') : 'none');
    checked.problems.push(`${path} must keep the placeholders of "${key}" (${list(wanted)}) and add no other; it has ${list(given)}; it is ignored.`);
    return;
  }
  table[key as K] = text;
}

/** The distinct placeholder names of `text`, sorted. */
function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ''))].sort();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

const told = new Set<string>();

/** Tells the host page's developer, once per page, in the browser console (the frame's). */
export function warnHost(message: string): void {
  if (told.has(message)) return;
  told.add(message);
  console.warn(`Sluice importer: ${message}`);
}
