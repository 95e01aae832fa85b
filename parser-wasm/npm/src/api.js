// The low-level API both entry points (browser.js, node.js) export as it is: the streaming
// parser, sniffing, matching, schema checks, templates and batch reading, from core.js.
export {
  Parser,
  version,
  sniff,
  matchColumns,
  checkSchema,
  templateCsv,
  decodeBatch,
  batchRowsJson,
  batchRowDigests,
  batchInfo,
  rowHasErrors,
  wasmMemory,
  wasmSimd,
  isWorkbook,
  SIGNATURE_BYTES,
} from './core.js';
