//! How a batch is kept inside its at-rest seal: compressed with LZ4 (batches of CSV text take
//! about half the space, and SQLite writes half the bytes), behind a one-byte codec tag so that
//! the layout can change.
//!
//! ```text
//! packed = 0x01 ‖ uncompressed length (u32, little-endian) ‖ LZ4 block
//! ```

/// The codec tag of an LZ4 block.
const LZ4: u8 = 1;

/// The largest batch a packed blob may unpack to.
const MAX_UNPACKED: usize = 1 << 30;

/// Compresses a batch for storage.
pub fn pack(batch: &[u8]) -> Result<Vec<u8>, String> {
    let length = u32::try_from(batch.len()).map_err(|_| "a batch over 4 GiB cannot be stored".to_owned())?;
    let mut out = vec![0; 5 + lz4_flex::block::get_maximum_output_size(batch.len())];
    out[0] = LZ4;
    out[1..5].copy_from_slice(&length.to_le_bytes());
    let written = lz4_flex::block::compress_into(batch, &mut out[5..]).map_err(|e| e.to_string())?;
    out.truncate(5 + written);
    Ok(out)
}

/// Restores a batch packed by [`pack`].
pub fn unpack(packed: &[u8]) -> Result<Vec<u8>, String> {
    let Some((&LZ4, rest)) = packed.split_first() else {
        return Err("a stored batch has an unknown codec".to_owned());
    };
    let (length, block) = rest.split_first_chunk::<4>().ok_or("a stored batch is cut short")?;
    let length = u32::from_le_bytes(*length) as usize;
    if length > MAX_UNPACKED {
        return Err("a stored batch claims to be larger than any batch".to_owned());
    }
    let mut out = vec![0; length];
    let written = lz4_flex::block::decompress_into(block, &mut out).map_err(|e| e.to_string())?;
    if written != length {
        return Err("a stored batch unpacks to another length than recorded".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_round_trip_and_csv_text_shrinks() {
        let text: Vec<u8> =
            (0..2000).flat_map(|n| format!("{n},Ada,Lovelace,ada{n}@example.com\n").into_bytes()).collect();
        let packed = pack(&text).unwrap();
        assert!(packed.len() * 2 < text.len(), "{} of {}", packed.len(), text.len());
        assert_eq!(unpack(&packed).unwrap(), text);
        assert_eq!(unpack(&pack(b"").unwrap()).unwrap(), b"");
    }

    #[test]
    fn damaged_blobs_are_errors_not_panics() {
        let packed = pack(b"some rows, some rows, some rows").unwrap();
        assert!(unpack(&[]).is_err());
        assert!(unpack(&[9, 0, 0, 0, 0]).is_err());
        assert!(unpack(&packed[..3]).is_err());
        let mut longer = packed.clone();
        longer[1] += 1;
        assert!(unpack(&longer).is_err());
        for cut in 5..packed.len() {
            assert!(unpack(&packed[..cut]).is_err());
        }
    }
}
