// The script-tag build: `window.Sluice` and `window.CSVBoxImporter`.
import { CSVBoxImporter, Importer, importer } from './loader.js';

const target = window as unknown as Record<string, unknown>;
target['Sluice'] = { importer, Importer, CSVBoxImporter };
target['CSVBoxImporter'] = CSVBoxImporter;
