//! What completion keeps of each batch as it arrives: its [`BatchSummary`] (the numbers of its
//! first and last rows, the keys of its valid unique cells), stored next to the batch in the same
//! transaction, packed and sealed under the import's data key, so that completion checks row
//! order and uniqueness across batches without opening a batch again.
//!
//! ```text
//! summary = 0x01 (version) ‖ span ‖ cell*
//! span    = 0x00 (no rows) | 0x01 ‖ first row (u64) ‖ last row (u64)
//! cell    = varint(row − the previous cell's row) ‖ varint(schema column)
//!           ‖ (0x01 ‖ varint(zigzag(integer − the previous integer)) | 0x02 ‖ xxh3-128 (u128))
//! ```
//!
//! Fixed-width numbers are little-endian; a varint is LEB128 (7 bits a byte, low first); the
//! first cell's "previous" row and integer are 0. An id column in order costs 4 bytes a row
//! before packing, and next to nothing after. The fingerprints are derived from cell values, so the summary is
//! stored only sealed (`Item::Summary(sequence)`), never in plain.

use super::{ImportError, Imports, Internal};
use crate::crypto::{DataKey, Item};
use sluice_parser::verify::{BatchSummary, UniqueCell, UniqueKey};

const VERSION: u8 = 1;
const NO_ROWS: u8 = 0;
const SPAN: u8 = 1;
const INTEGER: u8 = 1;
const FINGERPRINT: u8 = 2;

impl Imports {
    /// The summary of batch `sequence` of import `id`, encoded, packed and sealed.
    pub(super) fn seal_summary(
        &self,
        id: &str,
        sequence: u64,
        summary: &BatchSummary,
    ) -> Result<Vec<u8>, ImportError> {
        let item = Item::Summary(sequence);
        let packed = super::pack(&encode(summary)).map_err(|problem| Internal::Pack {
            import: id.to_owned(),
            item,
            problem,
        })?;
        let data = self.keys(id)?.data;
        let sealed = data.seal(&self.rng, id, item, &packed).map_err(|source| Internal::Seal {
            import: id.to_owned(),
            item,
            source,
        })?;
        Ok(sealed)
    }

    /// The summary stored with batch `sequence`; none for a batch stored before summaries were.
    pub(super) fn open_summary(
        &self,
        data: &DataKey,
        id: &str,
        sequence: u64,
    ) -> Result<Option<BatchSummary>, ImportError> {
        let Some(sealed) = self.store.summary(id, sequence)? else { return Ok(None) };
        let item = Item::Summary(sequence);
        let packed = data
            .open(id, item, &sealed)
            .map_err(|_| Internal::SealedDoesNotOpen { import: id.to_owned(), item })?;
        let unreadable = |problem| Internal::Unreadable { import: id.to_owned(), item, problem };
        let encoded = super::unpack(&packed).map_err(unreadable)?;
        Ok(decode(&encoded).map(Some).map_err(|why| unreadable(why.to_owned()))?)
    }
}

/// The summary's bytes, as the module's layout says.
fn encode(summary: &BatchSummary) -> Vec<u8> {
    let mut out = Vec::with_capacity(18 + summary.cells.len() * 4);
    out.push(VERSION);
    match summary.rows {
        None => out.push(NO_ROWS),
        Some((first, last)) => {
            out.push(SPAN);
            out.extend_from_slice(&first.to_le_bytes());
            out.extend_from_slice(&last.to_le_bytes());
        }
    }
    let (mut row, mut integer) = (0u64, 0i64);
    for cell in &summary.cells {
        varint(&mut out, cell.row.wrapping_sub(row));
        varint(&mut out, cell.column as u64);
        row = cell.row;
        match cell.key {
            UniqueKey::Integer(n) => {
                out.push(INTEGER);
                let delta = n.wrapping_sub(integer);
                varint(&mut out, ((delta << 1) ^ (delta >> 63)) as u64);
                integer = n;
            }
            UniqueKey::Fingerprint(f) => {
                out.push(FINGERPRINT);
                out.extend_from_slice(&f.to_le_bytes());
            }
        }
    }
    out
}

/// A summary from the bytes [`encode`] wrote.
fn decode(bytes: &[u8]) -> Result<BatchSummary, &'static str> {
    let mut at = Reader(bytes);
    if at.byte()? != VERSION {
        return Err("has an unknown version");
    }
    let rows = match at.byte()? {
        NO_ROWS => None,
        SPAN => Some((u64::from_le_bytes(at.take()?), u64::from_le_bytes(at.take()?))),
        _ => return Err("has an unknown row span"),
    };
    let mut cells = Vec::with_capacity(bytes.len() / 4);
    let (mut row, mut integer) = (0u64, 0i64);
    while !at.0.is_empty() {
        row = row.wrapping_add(at.varint()?);
        let column = usize::try_from(at.varint()?).map_err(|_| "has a column out of range")?;
        let key = match at.byte()? {
            INTEGER => {
                let zigzag = at.varint()?;
                integer = integer.wrapping_add((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64));
                UniqueKey::Integer(integer)
            }
            FINGERPRINT => UniqueKey::Fingerprint(u128::from_le_bytes(at.take()?)),
            _ => return Err("has a cell of an unknown kind"),
        };
        cells.push(UniqueCell { row, column, key });
    }
    Ok(BatchSummary { rows, cells })
}

/// Appends `n` as LEB128: seven bits a byte, low first, the high bit saying more follow.
fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The bytes of a summary not read yet.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], &'static str> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or("is cut short")?;
        self.0 = rest;
        Ok(*head)
    }

    fn byte(&mut self) -> Result<u8, &'static str> {
        self.take::<1>().map(|[b]| b)
    }

    /// A number [`varint`] wrote.
    fn varint(&mut self) -> Result<u64, &'static str> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            n |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(n);
            }
        }
        Err("has a number longer than 64 bits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_decodes_to_what_was_encoded() {
        let cells = vec![
            UniqueCell { row: 7, column: 0, key: UniqueKey::Integer(-3) },
            UniqueCell { row: 7, column: 2, key: UniqueKey::Fingerprint(u128::MAX - 1) },
            UniqueCell { row: 9, column: 0, key: UniqueKey::Integer(i64::MAX) },
            UniqueCell { row: u64::MAX, column: 3, key: UniqueKey::Integer(i64::MIN) },
        ];
        let summary = BatchSummary { rows: Some((7, u64::MAX)), cells };
        assert_eq!(decode(&encode(&summary)), Ok(summary));
        let empty = BatchSummary::default();
        assert_eq!(decode(&encode(&empty)), Ok(empty));
    }

    #[test]
    fn a_cut_or_unknown_summary_is_refused() {
        let summary = BatchSummary {
            rows: Some((1, 1)),
            cells: vec![UniqueCell { row: 1, column: 1, key: UniqueKey::Integer(5) }],
        };
        let bytes = encode(&summary);
        assert_eq!(decode(&bytes[..bytes.len() - 1]), Err("is cut short"));
        assert_eq!(decode(&[2, 0]), Err("has an unknown version"));
        let mut unknown = bytes.clone();
        unknown[18 + 2] = 9;
        assert_eq!(decode(&unknown), Err("has a cell of an unknown kind"));
    }
}
