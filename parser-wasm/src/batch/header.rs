//! A batch's header read on its own: what a batch says about itself (schema digest, sequence,
//! first row, row count, columns) without reading its rows, so that JavaScript and anything else
//! that only routes batches learn these through one reader rather than byte offsets of its own.

use super::read::Cursor;
use super::{BatchColumn, BatchError, ColumnKind, FIXED_HEADER, FORMAT_VERSION, MAGIC};
use serde::{Serialize, Serializer};

/// Most columns a batch may declare (the reader's own limit, far above the parser's).
pub(super) const MAX_COLUMNS: u64 = 100_000;

/// Bytes every row takes at least, besides one length byte per column: its row number delta,
/// its flags and its extra field count.
const MIN_ROW_BYTES: u64 = 3;

/// A batch's header.
///
/// ```
/// use sluice_parser::batch::BatchHeader;
///
/// let err = BatchHeader::read(b"SLCB\x01\x00").unwrap_err();
/// assert_eq!(err.to_string(), "batch byte 6: the batch ends too early");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchHeader {
    /// The digest of the schema the rows were checked against (hex in JSON).
    #[serde(serialize_with = "hex")]
    pub schema_digest: [u8; 32],
    /// The batch's number in its import, from 0.
    pub sequence: u64,
    /// The data row number of the first row.
    pub first_row: u64,
    /// The number of rows.
    pub row_count: u32,
    /// The columns.
    pub columns: Vec<BatchColumn>,
    /// The header's length in bytes: where the first row starts.
    pub header_length: usize,
}

impl BatchHeader {
    /// Reads the header of the batch `bytes` and refuses what cannot be one: a wrong start,
    /// version or flags, columns cut short, or fewer bytes after the header than its row count
    /// needs. The rows themselves are not read: [`Batch::decode`](super::Batch::decode) checks them.
    pub fn read(bytes: &[u8]) -> Result<BatchHeader, BatchError> {
        let mut c = Cursor { bytes, at: 0 };
        let header = read(&mut c)?;
        let per_row = MIN_ROW_BYTES + header.columns.len() as u64;
        let rest = bytes.len().saturating_sub(header.header_length) as u64;
        if rest < u64::from(header.row_count).saturating_mul(per_row) {
            return Err(BatchError { offset: bytes.len(), reason: "the batch ends before its rows do" });
        }
        Ok(header)
    }
}

/// Reads the header at the cursor (the start of a batch), leaving it at the first row.
pub(super) fn read(c: &mut Cursor<'_>) -> Result<BatchHeader, BatchError> {
    if c.take(4).ok() != Some(&MAGIC[..]) {
        return Err(BatchError { offset: 0, reason: "does not start with \"SLCB\"" });
    }
    if c.byte()? != FORMAT_VERSION {
        return Err(BatchError { offset: 4, reason: "the format version is not 1" });
    }
    if c.byte()? != 0 {
        return Err(BatchError { offset: 5, reason: "unknown flags are set" });
    }
    let schema_digest = c.array::<32>()?;
    let sequence = u64::from_le_bytes(c.array::<8>()?);
    let first_row = u64::from_le_bytes(c.array::<8>()?);
    let row_count = u32::from_le_bytes(c.array::<4>()?);
    debug_assert_eq!(c.at, FIXED_HEADER);
    let columns = columns(c)?;
    Ok(BatchHeader { schema_digest, sequence, first_row, row_count, columns, header_length: c.at })
}

fn columns(c: &mut Cursor<'_>) -> Result<Vec<BatchColumn>, BatchError> {
    let count = c.varint()?;
    if count > MAX_COLUMNS {
        return c.fail("too many columns");
    }
    (0..count)
        .map(|_| {
            let kind = ColumnKind::from_byte(c.byte()?);
            let kind = kind.map_or_else(|| c.fail("unknown column kind"), Ok)?;
            let len = c.varint()?;
            Ok(BatchColumn { kind, name: c.text(len)?.to_owned() })
        })
        .collect()
}

fn hex<S: Serializer>(digest: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
    let text: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    serializer.serialize_str(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Batch;

    /// A batch of `rows` rows numbered from 41, written by hand as docs/batch-format.md lays it
    /// out: columns `id` (schema) and `Notes` (kept), each row `"7"` and null.
    fn batch(rows: u32) -> Vec<u8> {
        let mut bytes = b"SLCB\x01\x00".to_vec();
        bytes.extend_from_slice(&[0xab; 32]);
        bytes.extend_from_slice(&0u64.to_le_bytes());
        bytes.extend_from_slice(&41u64.to_le_bytes());
        bytes.extend_from_slice(&rows.to_le_bytes());
        bytes.extend_from_slice(b"\x02\x00\x02id\x01\x05Notes");
        for row in 0..rows {
            bytes.extend_from_slice(&[u8::from(row > 0), 0, 0, 2, 0, b'7']);
        }
        bytes
    }

    #[test]
    fn the_header_says_what_the_decoded_batch_says() {
        let bytes = batch(3);
        let header = BatchHeader::read(&bytes).unwrap();
        let decoded = Batch::decode(&bytes).unwrap();
        assert_eq!(
            (header.schema_digest, header.sequence, header.first_row, header.row_count),
            (decoded.schema_digest, decoded.sequence, decoded.first_row, decoded.row_count)
        );
        assert_eq!((header.first_row, header.row_count), (41, 3));
        assert_eq!(header.columns, decoded.columns);
        assert_eq!(header.header_length, FIXED_HEADER + 1 + (2 + 2) + (2 + 5));
    }

    #[test]
    fn the_header_is_json_with_the_digest_in_hex() {
        let json = serde_json::to_value(BatchHeader::read(&batch(1)).unwrap()).unwrap();
        assert_eq!(json["schemaDigest"], "ab".repeat(32));
        assert_eq!(
            (json["sequence"].as_u64(), json["firstRow"].as_u64(), json["rowCount"].as_u64()),
            (Some(0), Some(41), Some(1))
        );
        assert_eq!(json["columns"][1], serde_json::json!({ "kind": "kept", "name": "Notes" }));
    }

    #[test]
    fn a_batch_cut_in_its_header_is_refused_where_it_ends() {
        let bytes = batch(2);
        let length = BatchHeader::read(&bytes).unwrap().header_length;
        for len in 0..length {
            let err = BatchHeader::read(&bytes[..len]).unwrap_err();
            assert!(err.offset <= len, "{len}: {err}");
        }
        assert_eq!(
            BatchHeader::read(&bytes[..40]).unwrap_err().to_string(),
            "batch byte 38: the batch ends too early"
        );
    }

    #[test]
    fn a_batch_too_short_for_its_row_count_is_refused_without_reading_rows() {
        let bytes = batch(2);
        let length = BatchHeader::read(&bytes).unwrap().header_length;
        let err = BatchHeader::read(&bytes[..length + 1]).unwrap_err();
        assert_eq!((err.offset, err.reason), (length + 1, "the batch ends before its rows do"));
    }

    #[test]
    fn a_malformed_start_is_named() {
        let mut bytes = batch(1);
        bytes[4] = 9;
        assert_eq!(
            BatchHeader::read(&bytes).unwrap_err().to_string(),
            "batch byte 4: the format version is not 1"
        );
        assert_eq!(BatchHeader::read(b"PK\x03\x04").unwrap_err().reason, "does not start with \"SLCB\"");
    }
}
