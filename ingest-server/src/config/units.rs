//! Typed units of the configuration: durations (`"500ms"`, `"30s"`, `"24h"`) and byte sizes
//! (`"10MB"`, `"8MiB"`), each an integer followed by a unit, with no space in between.

use std::fmt;
use std::time::Duration;

/// What a duration looks like, for error messages.
const DURATION_EXAMPLE: &str = "expected a duration such as \"500ms\", \"30s\", \"15m\", \"24h\" or \"30d\"";

/// What a size looks like, for error messages.
const SIZE_EXAMPLE: &str = "expected a size such as \"10MB\" or \"1GiB\"";

/// The duration units and their length in milliseconds.
const DURATION_UNITS: [(&str, u64); 5] =
    [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];

/// The size units and their size in bytes: decimal (`KB` = 1000) and binary (`KiB` = 1024),
/// largest first within each kind so that [`ByteSize`]'s `Display` picks the largest.
const SIZE_UNITS: [(&str, u64); 9] = [
    ("TiB", 1 << 40),
    ("TB", 1_000_000_000_000),
    ("GiB", 1 << 30),
    ("GB", 1_000_000_000),
    ("MiB", 1 << 20),
    ("MB", 1_000_000),
    ("KiB", 1 << 10),
    ("KB", 1_000),
    ("B", 1),
];

/// A number of bytes, written in the configuration as `512`, `"512B"`, `"10KB"`, `"10MB"`,
/// `"1GB"`, `"1TB"` (decimal) or `"10KiB"`, `"8MiB"`, `"1GiB"`, `"1TiB"` (binary).
///
/// Displays in the largest unit that divides it exactly (`8MiB`, `1000000` bytes as `1MB`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// The number of bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// Parses a size written as text: an integer, then optionally one of the units above,
    /// spelled with the case shown.
    pub(super) fn parse(text: &str) -> Result<ByteSize, String> {
        let (number, unit) = split_number(text, SIZE_EXAMPLE)?;
        let factor = match SIZE_UNITS.iter().find(|(name, _)| *name == unit) {
            Some((_, factor)) => *factor,
            None if unit.is_empty() => 1,
            None => return Err(unit_hint(SIZE_EXAMPLE, unit, &SIZE_UNITS)),
        };
        let bytes = number.checked_mul(factor).ok_or_else(|| format!("is too large; {SIZE_EXAMPLE}"))?;
        Ok(ByteSize(bytes))
    }

    /// The message for a value of the wrong TOML type.
    pub(super) fn expected() -> &'static str {
        SIZE_EXAMPLE
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = SIZE_UNITS.iter().find(|(_, factor)| self.0 >= *factor && self.0.is_multiple_of(*factor));
        match unit {
            Some((name, factor)) if *factor > 1 => write!(f, "{}{name}", self.0 / factor),
            _ => write!(f, "{}", self.0),
        }
    }
}

/// Parses a duration: an integer, then one of `ms`, `s`, `m`, `h`, `d`. The unit is required:
/// a bare `0` is refused like any other number without a unit.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = split_number(text, DURATION_EXAMPLE)?;
    let Some((_, millis)) = DURATION_UNITS.iter().find(|(name, _)| *name == unit) else {
        if unit.is_empty() {
            return Err(format!("{DURATION_EXAMPLE}: add a unit (ms, s, m, h or d)"));
        }
        return Err(unit_hint(DURATION_EXAMPLE, unit, &DURATION_UNITS));
    };
    let millis = number.checked_mul(*millis).ok_or_else(|| format!("is too long; {DURATION_EXAMPLE}"))?;
    Ok(Duration::from_millis(millis))
}

/// The message for a duration of the wrong TOML type.
pub(super) fn duration_expected() -> &'static str {
    DURATION_EXAMPLE
}

/// Splits `123unit` into the number and the unit.
fn split_number<'a>(text: &'a str, example: &str) -> Result<(u64, &'a str), String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at_checked(digits).ok_or_else(|| example.to_owned())?;
    if number.is_empty() {
        return Err(example.to_owned());
    }
    let number = number.parse().map_err(|_| format!("is too large; {example}"))?;
    Ok((number, unit))
}

/// The message for an unknown unit, naming the right spelling when only the case differs.
fn unit_hint(example: &str, unit: &str, units: &[(&str, u64)]) -> String {
    match units.iter().find(|(name, _)| name.eq_ignore_ascii_case(unit)) {
        Some((name, _)) => format!("{example}: write the unit as \"{name}\""),
        None => example.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_unit_parses_to_its_number_of_bytes() {
        let cases = [
            ("0", 0),
            ("512", 512),
            ("512B", 512),
            ("10KB", 10_000),
            ("10MB", 10_000_000),
            ("1GB", 1_000_000_000),
            ("2TB", 2_000_000_000_000),
            ("10KiB", 10 * 1024),
            ("8MiB", 8 * 1024 * 1024),
            ("1GiB", 1024 * 1024 * 1024),
            ("1TiB", 1 << 40),
        ];
        for (text, bytes) in cases {
            assert_eq!(ByteSize::parse(text), Ok(ByteSize(bytes)), "{text}");
        }
    }

    #[test]
    fn sizes_that_are_not_an_integer_and_a_known_unit_are_refused_with_an_example() {
        let cases = [
            ("", SIZE_EXAMPLE.to_owned()),
            ("MB", SIZE_EXAMPLE.to_owned()),
            ("1.5GB", SIZE_EXAMPLE.to_owned()),
            ("10 MB", SIZE_EXAMPLE.to_owned()),
            ("-1MB", SIZE_EXAMPLE.to_owned()),
            ("10XB", SIZE_EXAMPLE.to_owned()),
            ("10mb", format!("{SIZE_EXAMPLE}: write the unit as \"MB\"")),
            ("1gib", format!("{SIZE_EXAMPLE}: write the unit as \"GiB\"")),
            ("99999999999999999999", format!("is too large; {SIZE_EXAMPLE}")),
            ("20000000TiB", format!("is too large; {SIZE_EXAMPLE}")),
        ];
        for (text, message) in cases {
            assert_eq!(ByteSize::parse(text), Err(message), "{text:?}");
        }
    }

    #[test]
    fn sizes_display_in_the_largest_exact_unit_and_parse_back() {
        let cases = [(0, "0"), (512, "512"), (8 << 20, "8MiB"), (1_000_000, "1MB"), (1500, "1500")];
        for (bytes, text) in cases {
            assert_eq!(ByteSize(bytes).to_string(), text);
            assert_eq!(ByteSize::parse(text), Ok(ByteSize(bytes)));
        }
    }

    #[test]
    fn every_duration_unit_parses() {
        let cases = [
            ("500ms", Duration::from_millis(500)),
            ("10s", Duration::from_secs(10)),
            ("15m", Duration::from_secs(15 * 60)),
            ("1h", Duration::from_secs(3600)),
            ("30d", Duration::from_secs(30 * 86_400)),
            ("0s", Duration::ZERO),
        ];
        for (text, duration) in cases {
            assert_eq!(parse_duration(text), Ok(duration), "{text}");
        }
    }

    #[test]
    fn durations_without_a_known_unit_are_refused_with_an_example() {
        let cases = [
            ("0", format!("{DURATION_EXAMPLE}: add a unit (ms, s, m, h or d)")),
            ("30", format!("{DURATION_EXAMPLE}: add a unit (ms, s, m, h or d)")),
            ("", DURATION_EXAMPLE.to_owned()),
            ("s", DURATION_EXAMPLE.to_owned()),
            ("1.5h", DURATION_EXAMPLE.to_owned()),
            ("1w", DURATION_EXAMPLE.to_owned()),
            ("1h30m", DURATION_EXAMPLE.to_owned()),
            ("10S", format!("{DURATION_EXAMPLE}: write the unit as \"s\"")),
            ("99999999999999999999d", format!("is too large; {DURATION_EXAMPLE}")),
            ("999999999999999d", format!("is too long; {DURATION_EXAMPLE}")),
        ];
        for (text, message) in cases {
            assert_eq!(parse_duration(text), Err(message), "{text:?}");
        }
    }
}
