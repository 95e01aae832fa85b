//! LEB128 variable-length unsigned integers.

/// Appends `n` in 1 to 10 bytes.
#[inline]
pub(super) fn put(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a varint at `*at`, moving past it; `None` when cut short or longer than 64 bits.
#[inline]
pub(super) fn get(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let first = *bytes.get(*at)?;
    if first < 0x80 {
        *at += 1;
        return Some(u64::from(first));
    }
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        let low = u64::from(b & 0x7F);
        if shift == 63 && low > 1 {
            return None;
        }
        n |= low << shift;
        if b & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_refuse_overflow() {
        for n in [0, 1, 127, 128, 300, 1 << 35, u64::MAX] {
            let mut buf = Vec::new();
            put(&mut buf, n);
            let mut at = 0;
            assert_eq!(get(&buf, &mut at), Some(n));
            assert_eq!(at, buf.len());
        }
        let mut at = 0;
        assert_eq!(get(&[0x80, 0x80], &mut at), None);
        let mut at = 0;
        assert_eq!(get(&[0xFF; 10], &mut at), None);
    }
}
