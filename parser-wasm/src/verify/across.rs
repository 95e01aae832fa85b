//! What the checks across an import's batches need of each batch, taken when the batch arrives,
//! so that the pass across batches (row order, uniqueness) does not read the batches again: the
//! numbers of its first and last rows and the key of every valid unique cell (an integer
//! column's number, another column's 128-bit fingerprint — the keys the unique index compares).

use super::{Verdict, Verifier, VerifyError};
use crate::batch::Batch;
use crate::schema::Parsed;
use crate::validate::unique::{Seen, UniqueIndex, insert_fingerprint};

/// A unique cell reduced to what uniqueness compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueKey {
    /// An integer column's number.
    Integer(i64),
    /// Another column's canonical value as its xxh3-128 fingerprint.
    Fingerprint(u128),
}

/// One valid cell of a unique column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UniqueCell {
    /// The data row number.
    pub row: u64,
    /// The schema column's index.
    pub column: usize,
    /// What uniqueness compares.
    pub key: UniqueKey,
}

/// What the pass across batches needs of one batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// The numbers of its first and last rows; none for a batch without rows.
    pub rows: Option<(u64, u64)>,
    /// Its valid unique cells, in row then column order. Cells that failed their check are left
    /// out: their rows were counted invalid when the batch arrived, and they enter no unique set.
    pub cells: Vec<UniqueCell>,
}

impl Verifier {
    /// The summary of a batch [`Verifier::check`] accepted; changes no state of this verifier.
    pub fn summarize(&mut self, batch: &Batch<'_>) -> BatchSummary {
        let mut summary = BatchSummary::default();
        for row in batch.rows() {
            summary.rows = Some((summary.rows.map_or(row.number, |(first, _)| first), row.number));
            for (column, cell) in row.cells.iter().enumerate() {
                if let Some(key) = self.unique_key(column, *cell) {
                    summary.cells.push(UniqueCell { row: row.number, column, key });
                }
            }
        }
        summary
    }

    /// What [`Verifier::check_across`] finds in the batch `summary` was taken of: the same
    /// errors in the same order (`duplicate` only, as the summary holds valid cells), the rows
    /// they are on, the same row-order error. `rows` and `flagged_rows` are not counted.
    pub fn check_summary(&mut self, summary: &BatchSummary) -> Result<Verdict, VerifyError> {
        if let Some((first, last)) = summary.rows {
            if self.last_row.is_some_and(|seen| first <= seen) {
                return Err(VerifyError::RowOrder { row: first });
            }
            self.last_row = Some(last);
        }
        let mut verdict = Verdict::default();
        for cell in &summary.cells {
            if self.seen_before(cell) {
                let key = self.schema.columns().get(cell.column).map_or("", |c| c.key());
                verdict.error(cell.row, key, "duplicate");
                if verdict.invalid_rows.last() != Some(&cell.row) {
                    verdict.invalid_rows.push(cell.row);
                }
            }
        }
        Ok(verdict)
    }

    /// The key of a valid cell of a unique column; none for other columns and invalid cells.
    fn unique_key(&mut self, column: usize, cell: Option<&str>) -> Option<UniqueKey> {
        let integers = matches!(self.unique.get(column)?.as_ref()?, UniqueIndex::Integers(_));
        let value = cell?;
        let check = &self.schema.columns().get(column)?.check;
        self.out.clear();
        let parsed = check.run_canonical(value, &mut self.out, &mut self.scratch).ok()?;
        match (integers, parsed) {
            (true, Parsed::Integer(n)) => Some(UniqueKey::Integer(n)),
            (true, Parsed::Other) => None,
            (false, _) => Some(UniqueKey::Fingerprint(xxhash_rust::xxh3::xxh3_128(value.as_bytes()))),
        }
    }

    /// Enters a cell's key in its column's unique index, as checking the cell would.
    fn seen_before(&mut self, cell: &UniqueCell) -> bool {
        let limit = self.max_unique_values;
        let Some(Some(index)) = self.unique.get_mut(cell.column) else { return false };
        let seen = match (index, cell.key) {
            (index @ UniqueIndex::Integers(_), UniqueKey::Integer(n)) => {
                index.insert("", Parsed::Integer(n), limit)
            }
            (UniqueIndex::Fingerprints(set), UniqueKey::Fingerprint(f)) => insert_fingerprint(set, f, limit),
            _ => Seen::New,
        };
        seen == Seen::Before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::BatchOptions;
    use crate::import::{Import, ImportOptions};
    use crate::schema::Schema;

    const SCHEMA: &str = r#"{"version": 1, "columns": [
        {"key": "id", "type": "integer", "unique": true},
        {"key": "email", "type": "email", "unique": true},
        {"key": "name", "type": "text"}
    ]}"#;

    /// The batches an import of `csv` ships, two rows each, invalid rows included.
    fn batches(schema: &Schema, csv: &str) -> Vec<Vec<u8>> {
        let options = ImportOptions {
            include_invalid: true,
            batches: BatchOptions { max_rows: 2, ..BatchOptions::default() },
            ..ImportOptions::default()
        };
        let mut import = Import::new(schema, options).unwrap();
        import.feed(csv.as_bytes()).unwrap();
        import.finish().unwrap();
        std::iter::from_fn(|| import.next_batch()).collect()
    }

    /// One batch's verdict across batches.
    type Across = Result<Verdict, VerifyError>;

    /// Each batch's verdict across batches, read from the batches and from their summaries.
    fn both_ways(order: &[usize]) -> (Vec<Across>, Vec<Across>) {
        let schema = Schema::from_json(SCHEMA).unwrap();
        let csv = "id,email,name\n1,a@x.org,A\n2,b@x.org,B\n1,c@x.org,C\n3,,D\n5,a@x.org,E\n4,b@x.org,F\n";
        let shipped = batches(&schema, csv);
        let (mut read, mut summarized) = (Verifier::new(&schema, 1000), Verifier::new(&schema, 1000));
        let mut on_arrival = Verifier::new(&schema, usize::MAX);
        let summaries: Vec<BatchSummary> =
            shipped.iter().map(|b| on_arrival.summarize(&Batch::decode(b).unwrap())).collect();
        let from_batches = order.iter().map(|&i| read.check_across(&Batch::decode(&shipped[i]).unwrap()));
        let from_summaries = order.iter().map(|&i| summarized.check_summary(&summaries[i]));
        (from_batches.map(without_counts).collect(), from_summaries.collect())
    }

    /// A verdict without what a summary does not count.
    fn without_counts(verdict: Across) -> Across {
        verdict.map(|v| Verdict { rows: 0, flagged_rows: 0, ..v })
    }

    #[test]
    fn summaries_find_what_reading_the_batches_again_finds() {
        let (from_batches, from_summaries) = both_ways(&[0, 1, 2]);
        assert_eq!(from_batches, from_summaries);
        let errors: Vec<(u64, String, &str)> = from_summaries
            .iter()
            .flat_map(|v| v.as_ref().unwrap().errors.clone())
            .map(|e| (e.row, e.column, e.code))
            .collect();
        let expected = [(3, "id", "duplicate"), (5, "email", "duplicate"), (6, "email", "duplicate")];
        assert_eq!(errors, expected.map(|(row, column, code)| (row, column.to_owned(), code)));
    }

    #[test]
    fn summaries_out_of_order_fail_on_the_same_row() {
        let (from_batches, from_summaries) = both_ways(&[1, 0]);
        assert_eq!(from_batches, from_summaries);
        assert_eq!(from_summaries[1], Err(VerifyError::RowOrder { row: 1 }));
    }
}
