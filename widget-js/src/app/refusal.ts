// Files the parser refuses outright (empty, no data rows, not text, too wide, a workbook it
// cannot read), said in the user's language from the parser's stable codes; the parser's own
// sentence is English.
import { isWorkbook, listSheets, sniff, type FileError } from '@sluice/parser';
import { t, type StringKey } from './strings';
import { fileHead, minRows, type State } from './state';

// The spreadsheet module reads workbooks, so only a damaged one is still refused by its kind.
const BINARY: Record<NonNullable<FileError['kind']>, StringKey> = {
  xlsx: 'unreadableWorkbook',
  ods: 'unreadableWorkbook',
  xls: 'unreadableWorkbook',
  zip: 'binaryZip',
  gzip: 'binaryGzip',
  pdf: 'binaryPdf',
  png: 'binaryImage',
  jpeg: 'binaryImage',
  gif: 'binaryImage',
  unknown: 'binaryOther',
};

/** What to tell the user about a refused file, or null when `error` is not a refusal. */
export function refusalMessage(error: unknown): string | null {
  const refused = error as Partial<FileError> | null;
  const place = { line: refused?.line ?? '?', limit: refused?.limit ?? '?', name: refused?.limitName ?? '?' };
  switch (refused?.code) {
    case 'workbook_limit':
      return t('workbookLimit', place);
    case 'password_protected':
      return t('passwordProtected');
    case 'no_worksheets':
      return t('noWorksheets');
    case 'sheet_not_found':
      return t('sheetNotFound');
    case 'empty_sheet':
      return t('emptySheet');
    case 'unreadable_workbook':
      return t('unreadableWorkbook');
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
 * chosen yet (so an image or an empty file is refused on the upload step), or null. A workbook
 * is refused for what holds for all of it (damaged, a password, too large, no sheet with
 * values); a sheet's own problems are said where the sheet is chosen. */
export async function refusalOf(state: State, file: File): Promise<string | null> {
  const head = await fileHead(file);
  try {
    if (isWorkbook(head)) {
      const sheets = await listSheets(head);
      return minRows(state) === 0 || sheets.some((sheet) => (sheet.rows ?? 0) > 0) ? null : t('noWorksheets');
    }
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
