//! Which messages an import makes when it completes, the same for every kind of destination:
//! for each destination, its rows in chunks of its `chunk_rows` (in row order, across batch
//! boundaries), then one `import.completed`. Their ids derive from the import, destination and
//! place, so they are the same however often they are planned.

use crate::config::Destination;
use crate::store::{BatchMeta, MessageKind, NewMessage};
use ring::digest;
use std::fmt::Write;

/// The messages of import `import_id`, whose stored batches are `batches` (in order), for
/// `destinations`, due at `due_at` (Unix milliseconds).
pub fn plan(
    import_id: &str,
    batches: &[BatchMeta],
    destinations: &[Destination],
    due_at: i64,
) -> Vec<NewMessage> {
    let mut messages = Vec::new();
    for (index, destination) in destinations.iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let chunks = chunks(batches, destination.chunk_rows());
        let count = u32::try_from(chunks.len()).unwrap_or(u32::MAX);
        let completed = (0, 0, 0);
        for (sequence, (first_batch, first_offset, row_count)) in
            chunks.into_iter().chain([completed]).enumerate()
        {
            let sequence = u32::try_from(sequence).unwrap_or(u32::MAX);
            let kind = if row_count == 0 { MessageKind::Completed } else { MessageKind::Rows };
            messages.push(NewMessage {
                id: message_id(import_id, index, sequence),
                destination: index,
                sequence,
                kind,
                first_batch,
                first_offset,
                row_count,
                chunks: count,
                due_at,
            });
        }
    }
    messages
}

/// The chunks of at most `size` rows: (batch of the first row, its offset there, rows).
fn chunks(batches: &[BatchMeta], size: u32) -> Vec<(u64, u32, u32)> {
    let mut chunks = Vec::new();
    let mut open: Option<(u64, u32, u32)> = None;
    for batch in batches {
        let mut offset = 0;
        while offset < batch.row_count {
            let (first_batch, first_offset, rows) = open.take().unwrap_or((batch.sequence, offset, 0));
            let take = (size - rows).min(batch.row_count - offset);
            offset += take;
            let chunk = (first_batch, first_offset, rows + take);
            if chunk.2 == size { chunks.push(chunk) } else { open = Some(chunk) }
        }
    }
    chunks.extend(open);
    chunks
}

/// `msg_` and 32 hex digits of SHA-256 over the import, destination and place.
fn message_id(import_id: &str, destination: u32, sequence: u32) -> String {
    let input = format!("{import_id}\u{0}{destination}\u{0}{sequence}");
    let hash = digest::digest(&digest::SHA256, input.as_bytes());
    hash.as_ref().iter().take(16).fold(String::from("msg_"), |mut id, b| {
        let _ = write!(id, "{b:02x}");
        id
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(sequence: u64, row_count: u32) -> BatchMeta {
        BatchMeta { sequence, first_row: 0, row_count, invalid_rows: 0, fingerprint: [0; 32] }
    }

    #[test]
    fn chunks_cover_every_row_once_across_batch_boundaries() {
        let batches = [batch(0, 2500), batch(1, 700), batch(2, 1800)];
        let chunks = chunks(&batches, 1000);
        assert_eq!(chunks, [(0, 0, 1000), (0, 1000, 1000), (0, 2000, 1000), (1, 500, 1000), (2, 800, 1000)]);
        assert_eq!(chunks.iter().map(|c| c.2).sum::<u32>(), 5000);
        assert_eq!(super::chunks(&[batch(0, 3)], 1000), [(0, 0, 3)]);
        assert!(super::chunks(&[], 1000).is_empty());
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = message_id("imp_a", 0, 1);
        assert_eq!(a, message_id("imp_a", 0, 1));
        assert_eq!(a.len(), 36);
        assert_ne!(a, message_id("imp_a", 1, 1));
        assert_ne!(a, message_id("imp_a", 0, 2));
        assert_ne!(a, message_id("imp_b", 0, 1));
    }
}
