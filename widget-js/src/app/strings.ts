// Every string the importer shows: English and French here, German, Spanish, Portuguese and Dutch
// in languages/, each typed by English's keys; the language shown and the host page's overrides.
// `t('key', { n: 3 })` fills {n}.
import { de } from './languages/de';
import { es } from './languages/es';
import { nl } from './languages/nl';
import { pt } from './languages/pt';
import { checkOverrides, warnHost } from './overrides';

const en = {
  title: 'Import data',
  close: 'Close',
  closeConfirm: 'Stop this import? What you have done so far will be lost.',
  back: 'Back',
  next: 'Next',
  stepUpload: 'Upload',
  stepSettings: 'File settings',
  stepMap: 'Map columns',
  stepReview: 'Review',
  stepSubmit: 'Submit',
  steps: 'Steps',
  notFramed: 'This importer opens from the page that embeds it.',
  loadFailed: 'The importer could not load: {detail}',
  dropTitle: 'Drop a CSV or Excel file here',
  dropOr: 'or',
  choose: 'Choose a file',
  dropHint: 'Up to {size}. The file is read in your browser; only its rows are sent, encrypted.',
  formats: 'Accepted: CSV, TSV and TXT text files; XLSX, XLSM, XLSB and XLS Excel workbooks; ODS OpenDocument spreadsheets.',
  pasteLabel: 'Or paste your data (with a header row)',
  pasteUse: 'Use the pasted data',
  pasted: 'pasted data',
  tooLarge: 'This file is {size}; the largest accepted is {max}.',
  emptyFile: 'This file is empty: it has no header and no rows. Choose a file with data.',
  noDataRows: 'This file has a header row (line {line}) but no data rows below it. Add rows, or choose another file.',
  tooManyColumns: 'The header row (line {line}) has more than {limit} columns, the most a file may have. Remove columns or split the file.',
  binaryZip: 'This is a ZIP archive, not a CSV file or a spreadsheet. Extract the file you need from it, then choose that file.',
  binaryGzip: 'This is a compressed file (gzip), not a CSV file. Decompress it, then choose the CSV file.',
  binaryPdf: 'This is a PDF document, not a CSV file. Export the data as CSV, then choose that file.',
  binaryImage: 'This is an image, not a CSV file. Choose a CSV file.',
  binaryOther: 'This file is not text (it holds binary data on line {line}), so it is not a CSV file. Choose a CSV file saved as text (UTF-8).',
  workbookLimit: 'This workbook is too large to read safely here (over its limit {name} of {limit}). Save the sheet you need as a smaller workbook or as CSV, then choose that file.',
  passwordProtected: 'This workbook is protected with a password. Open it in your spreadsheet program, remove the password (or save a copy as CSV), then choose that file.',
  noWorksheets: 'This workbook has no sheet with data (only charts, or empty sheets). Choose a workbook with a table of data.',
  sheetNotFound: 'That sheet is not in this workbook. Choose one of its sheets.',
  emptySheet: 'This sheet is empty. Choose another sheet.',
  unreadableWorkbook: 'This file looks like a spreadsheet but cannot be read: it is damaged or incomplete. Open it in your spreadsheet program, save it again, then choose that file.',
  sheet: 'Sheet',
  sheetRows: '{name} ({n} rows)',
  sheetRows_one: '{name} ({n} row)',
  sheetHidden: '{name} (hidden, {n} rows)',
  sheetHidden_one: '{name} (hidden, {n} row)',
  sheetChart: '{name} (chart, no rows)',
  headerPick: 'Click the row that holds the column names, or press Enter on it; the rows above it are skipped.',
  useAsHeader: 'Use row {n} as the header',
  headerBadge: 'header',
  skipped: 'skipped',
  encoding: 'Encoding',
  delimiter: 'Delimiter',
  noHeader: 'No header row',
  detected: 'detected',
  comma: 'Comma (,)',
  semicolon: 'Semicolon (;)',
  tab: 'Tab',
  pipe: 'Pipe (|)',
  preview: 'Preview of the first rows',
  confidence: 'confidence {p}%',
  mapIntro: 'Choose the column of your file that holds each field.',
  field: 'Field',
  fileColumn: 'Column in your file',
  sample: 'Example values',
  notInFile: '— Not in my file —',
  required: 'required',
  requiredMissing: 'Required fields without a column: {fields}',
  match: 'match',
  unmappedTitle: 'Columns of your file not used above',
  unmappedKeep: 'Keep them aside with the import',
  unmappedIgnore: 'Ignore them',
  remembered: 'Your earlier choices for this file layout were applied.',
  checking: 'Checking {rows} rows…',
  checkFailed: 'The file could not be read: {detail}',
  checked: '{rows} rows, {invalid} with errors',
  allValid: '{rows} rows, all valid',
  errorsOnly: 'Only rows with errors',
  find: 'Find',
  replaceWith: 'Replace with',
  inColumn: 'In column',
  allColumns: 'All columns',
  replaceAll: 'Replace all',
  replaced: '{n} cells replaced',
  deleteRow: 'Delete row {n}',
  deleted: '{n} rows deleted',
  undoDeletes: 'Restore deleted rows',
  row: 'Row',
  editHint: 'Enter or double-click a cell to edit it; Escape cancels.',
  grid: 'Rows of your file',
  errorsByColumn: 'Errors by column',
  minRows: 'This import needs at least {n} rows; the file has {rows}.',
  minRows_one: 'This import needs at least {n} row; the file has {rows}.',
  maxRows: 'This import takes at most {n} rows; the file has {rows}.',
  invalidBlock: 'Fix or delete the {n} rows with errors to continue.',
  invalidSkip: '{n} rows with errors will be left out.',
  invalidRecord: '{n} rows with errors will be sent with their errors.',
  submit: 'Import {n} rows',
  sending: 'Sending…',
  progress: '{rows} of {total} rows · {mb} · {left}',
  secondsLeft: 'about {n} s left',
  offline: 'Connection lost. Retrying…',
  busy: 'The server is busy. Retrying…',
  finishing: 'Finishing…',
  failed: 'The import failed: {detail}',
  retry: 'Try again',
  doneTitle: 'Import complete',
  doneRows: '{n} rows imported',
  doneRows_one: '{n} row imported',
  doneInvalid: '{n} rows imported with errors',
  doneInvalid_one: '{n} row imported with errors',
  doneSkipped: '{n} rows left out',
  doneSkipped_one: '{n} row left out',
  doneDeleted: '{n} rows deleted',
  doneDeleted_one: '{n} row deleted',
  doneId: 'Import {id}',
  done: 'Done',
  cellError: 'Row {row}, {column}: {message}',
};

export type StringKey = keyof typeof en;
/** A language's table: every key of English, and no other (a missing key fails the build). */
export type Strings = Record<StringKey, string>;

const fr: Strings = {
  title: 'Importer des données',
  close: 'Fermer',
  closeConfirm: 'Arrêter cet import ? Ce qui a été fait sera perdu.',
  back: 'Retour',
  next: 'Suivant',
  stepUpload: 'Fichier',
  stepSettings: 'Lecture du fichier',
  stepMap: 'Colonnes',
  stepReview: 'Vérification',
  stepSubmit: 'Envoi',
  steps: 'Étapes',
  notFramed: 'Cet outil d’import s’ouvre depuis la page qui l’intègre.',
  loadFailed: 'L’outil d’import n’a pas pu se charger : {detail}',
  dropTitle: 'Déposez un fichier CSV ou Excel ici',
  dropOr: 'ou',
  choose: 'Choisir un fichier',
  dropHint: 'Jusqu’à {size}. Le fichier est lu dans votre navigateur ; seules ses lignes sont envoyées, chiffrées.',
  formats: 'Formats acceptés : fichiers texte CSV, TSV et TXT ; classeurs Excel XLSX, XLSM, XLSB et XLS ; classeurs OpenDocument ODS.',
  pasteLabel: 'Ou collez vos données (avec une ligne d’en-tête)',
  pasteUse: 'Utiliser les données collées',
  pasted: 'données collées',
  tooLarge: 'Ce fichier fait {size} ; le maximum accepté est {max}.',
  emptyFile: 'Ce fichier est vide : il n’a ni en-tête ni lignes. Choisissez un fichier avec des données.',
  noDataRows: 'Ce fichier a une ligne d’en-tête (ligne {line}) mais aucune ligne de données en dessous. Ajoutez des lignes ou choisissez un autre fichier.',
  tooManyColumns: 'La ligne d’en-tête (ligne {line}) a plus de {limit} colonnes, le maximum pour un fichier. Retirez des colonnes ou découpez le fichier.',
  binaryZip: 'Ceci est une archive ZIP, ni un fichier CSV ni un classeur. Extrayez-en le fichier voulu, puis choisissez ce fichier.',
  binaryGzip: 'Ceci est un fichier compressé (gzip), pas un fichier CSV. Décompressez-le, puis choisissez le fichier CSV.',
  binaryPdf: 'Ceci est un document PDF, pas un fichier CSV. Exportez les données au format CSV, puis choisissez ce fichier.',
  binaryImage: 'Ceci est une image, pas un fichier CSV. Choisissez un fichier CSV.',
  binaryOther: 'Ce fichier n’est pas du texte (il contient des données binaires ligne {line}) : ce n’est pas un fichier CSV. Choisissez un fichier CSV enregistré en texte (UTF-8).',
  workbookLimit: 'Ce classeur est trop volumineux pour être lu ici en toute sécurité (au-delà de sa limite {name} de {limit}). Enregistrez la feuille voulue dans un classeur plus petit ou au format CSV, puis choisissez ce fichier.',
  passwordProtected: 'Ce classeur est protégé par un mot de passe. Ouvrez-le dans votre tableur, retirez le mot de passe (ou enregistrez une copie au format CSV), puis choisissez ce fichier.',
  noWorksheets: 'Ce classeur n’a aucune feuille avec des données (seulement des graphiques, ou des feuilles vides). Choisissez un classeur contenant un tableau de données.',
  sheetNotFound: 'Cette feuille n’est pas dans ce classeur. Choisissez l’une de ses feuilles.',
  emptySheet: 'Cette feuille est vide. Choisissez une autre feuille.',
  unreadableWorkbook: 'Ce fichier ressemble à un classeur mais ne peut pas être lu : il est endommagé ou incomplet. Ouvrez-le dans votre tableur, enregistrez-le à nouveau, puis choisissez ce fichier.',
  sheet: 'Feuille',
  sheetRows: '{name} ({n} lignes)',
  sheetRows_one: '{name} ({n} ligne)',
  sheetHidden: '{name} (masquée, {n} lignes)',
  sheetHidden_one: '{name} (masquée, {n} ligne)',
  sheetChart: '{name} (graphique, sans lignes)',
  headerPick: 'Cliquez sur la ligne qui contient les noms des colonnes, ou appuyez sur Entrée sur celle-ci ; les lignes au-dessus sont ignorées.',
  useAsHeader: 'Utiliser la ligne {n} comme en-tête',
  headerBadge: 'en-tête',
  skipped: 'ignorée',
  encoding: 'Encodage',
  delimiter: 'Séparateur',
  noHeader: 'Pas de ligne d’en-tête',
  detected: 'détecté',
  comma: 'Virgule (,)',
  semicolon: 'Point-virgule (;)',
  tab: 'Tabulation',
  pipe: 'Barre verticale (|)',
  preview: 'Aperçu des premières lignes',
  confidence: 'confiance {p} %',
  mapIntro: 'Choisissez la colonne de votre fichier qui contient chaque champ.',
  field: 'Champ',
  fileColumn: 'Colonne du fichier',
  sample: 'Exemples',
  notInFile: '— Absent du fichier —',
  required: 'obligatoire',
  requiredMissing: 'Champs obligatoires sans colonne : {fields}',
  match: 'correspondance',
  unmappedTitle: 'Colonnes du fichier non utilisées',
  unmappedKeep: 'Les garder avec l’import',
  unmappedIgnore: 'Les ignorer',
  remembered: 'Vos choix précédents pour cette disposition ont été repris.',
  checking: 'Vérification de {rows} lignes…',
  checkFailed: 'Le fichier n’a pas pu être lu : {detail}',
  checked: '{rows} lignes, dont {invalid} avec des erreurs',
  allValid: '{rows} lignes, toutes valides',
  errorsOnly: 'Seulement les lignes en erreur',
  find: 'Rechercher',
  replaceWith: 'Remplacer par',
  inColumn: 'Dans la colonne',
  allColumns: 'Toutes les colonnes',
  replaceAll: 'Tout remplacer',
  replaced: '{n} cellules remplacées',
  deleteRow: 'Supprimer la ligne {n}',
  deleted: '{n} lignes supprimées',
  undoDeletes: 'Rétablir les lignes supprimées',
  row: 'Ligne',
  editHint: 'Entrée ou double-clic pour modifier une cellule ; Échap pour annuler.',
  grid: 'Lignes de votre fichier',
  errorsByColumn: 'Erreurs par colonne',
  minRows: 'Cet import demande au moins {n} lignes ; le fichier en a {rows}.',
  minRows_one: 'Cet import demande au moins {n} ligne ; le fichier en a {rows}.',
  maxRows: 'Cet import accepte au plus {n} lignes ; le fichier en a {rows}.',
  invalidBlock: 'Corrigez ou supprimez les {n} lignes en erreur pour continuer.',
  invalidSkip: '{n} lignes en erreur seront laissées de côté.',
  invalidRecord: '{n} lignes en erreur seront envoyées avec leurs erreurs.',
  submit: 'Importer {n} lignes',
  sending: 'Envoi…',
  progress: '{rows} sur {total} lignes · {mb} · {left}',
  secondsLeft: 'environ {n} s restantes',
  offline: 'Connexion perdue. Nouvel essai…',
  busy: 'Le serveur est occupé. Nouvel essai…',
  finishing: 'Finalisation…',
  failed: 'L’import a échoué : {detail}',
  retry: 'Réessayer',
  doneTitle: 'Import terminé',
  doneRows: '{n} lignes importées',
  doneRows_one: '{n} ligne importée',
  doneInvalid: '{n} lignes importées avec des erreurs',
  doneInvalid_one: '{n} ligne importée avec des erreurs',
  doneSkipped: '{n} lignes laissées de côté',
  doneSkipped_one: '{n} ligne laissée de côté',
  doneDeleted: '{n} lignes supprimées',
  doneDeleted_one: '{n} ligne supprimée',
  doneId: 'Import {id}',
  done: 'Terminer',
  cellError: 'Ligne {row}, {column} : {message}',
};

/** The languages the importer speaks, by their code (`pt-BR` and `de-AT` are shown as `pt` and `de`). */
export const TABLES: Readonly<Record<string, Strings>> = { en, fr, de, es, pt, nl };

let current: Strings = en;
let currentLanguage = 'en';
let overridden: Partial<Strings> = {};

/**
 * Picks the language: the host page's choice, else the browser's, else English (`de-AT` is shown
 * as `de`); then lays the host page's `overrides` (`options.strings`) over it. A language the
 * importer does not speak, and overrides it cannot use, are told to the host page's developer
 * in the console and left out.
 */
export function setLanguage(wanted: string | undefined, overrides?: unknown): string {
  const base = (tag: string) => tag.toLowerCase().split('-')[0] ?? '';
  if (wanted && !(base(wanted) in TABLES)) {
    warnHost(`options.language "${wanted}" is not a language the importer speaks (${Object.keys(TABLES).join(', ')}); the browser's language, else English, is shown.`);
  }
  const candidates = [wanted, ...(navigator.languages ?? [])].filter(Boolean) as string[];
  currentLanguage = candidates.map(base).find((l) => l in TABLES) ?? 'en';
  const checked = checkOverrides(overrides, en, Object.keys(TABLES));
  for (const problem of checked.problems) warnHost(problem);
  overridden = { ...checked.any, ...checked.byLanguage[currentLanguage] };
  current = { ...(TABLES[currentLanguage] ?? en), ...overridden };
  document.documentElement.lang = currentLanguage;
  return currentLanguage;
}

export function language(): string {
  return currentLanguage;
}

/** Whether the host page gave its own text for `key` in the language shown. */
export function isOverridden(key: StringKey): boolean {
  return key in overridden;
}

export function t(key: StringKey, values: Record<string, string | number> = {}): string {
  return current[key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? `{${name}}`));
}

/** `key` for a count: its `_one` form where the language says `n` is singular; `values` fill the
 * string's other placeholders. */
export function tn(key: StringKey, n: number, shown: string, values: Record<string, string | number> = {}): string {
  const one = `${key}_one` as StringKey;
  const singular = new Intl.PluralRules(currentLanguage).select(n) === 'one' && one in current;
  return t(singular ? one : key, { ...values, n: shown });
}
