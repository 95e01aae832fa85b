// Files the parser refuses outright (empty, no data rows, not text, too wide), said in the
// user's language from the parser's stable codes; the parser's own sentence is English.
import { sniff, type FileError } from '@sluice/parser';
import { t, type StringKey } from './strings';
import { fileHead, minRows, type State } from './state';

const BINARY: Record<NonNullable<FileError['kind']>, StringKey> = {
  xlsx: 'binaryXlsx', ods: 'binaryOds', xls: 'binaryXls', zip: 'binaryZip', gzip: 'binaryGzip',
  pdf: 'binaryPdf', png: 'binaryImage', jpeg: 'binaryImage', gif: 'binaryImage', unknown: 'binaryOther',
};

/** What to tell the user about a refused file, or null when `error` is not a refusal. */
export function refusalMessage(error: unknown): string | null {
  const refused = error as Partial<FileError> | null;
  const place = { line: refused?.line ?? '?', limit: refused?.limit ?? '?' };
  switch (refused?.code) {
    case 'empty_file':
      return t('emptyFile');
    case 'no_data_rows':
      return t('noDataRows', place);
    case 'too_many_columns':
      return t('tooManyColumns', place);
    case 'binary_file':
      return t(BINARY[refused.kind ?? 'unknown'] ?? 'binaryOther', place);
    default:
      return null;
  }
}

/** Why `file` cannot be imported, from its first bytes read as the parser reads them with nothing
 * chosen yet (so a workbook or an empty file is refused on the upload step), or null. */
export async function refusalOf(state: State, file: File): Promise<string | null> {
  const head = await fileHead(file);
  try {
    sniff(head, { allowEmpty: minRows(state) === 0 || file.size > head.length, previewRows: 0 });
    return null;
  } catch (error) {
    return refusalMessage(error);
  }
}

/** A sentence for any error met while reading the file. */
export function readError(error: unknown): string {
  return refusalMessage(error) ?? String((error as Error)?.message ?? error);
}
