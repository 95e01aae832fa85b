// The script-tag build: `window.Sluice` and `window.CSVBoxImporter`.
import { CSVBoxImporter, Importer, importer } from './loader';

const target = window as unknown as Record<string, unknown>;
target['Sluice'] = { importer, Importer, CSVBoxImporter };
target['CSVBoxImporter'] = CSVBoxImporter;
