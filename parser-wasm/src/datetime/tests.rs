//! Tests of the module as a whole: every directive, the defaults, the ISO preset, and hostile
//! input, each value read through [`TemporalFormat`] as a column reads it.

use super::*;
use TemporalKind::{Date, DateTime, Time};

/// Parses `text` into a buffer that already holds text and returns what was appended,
/// checking that a failure appends nothing and that a canonical form reads back as itself
/// with the ISO preset.
pub(super) fn parsed(pattern: &str, kind: TemporalKind, text: &str) -> Option<String> {
    let format = TemporalFormat::compile(pattern, kind).unwrap_or_else(|e| panic!("{e}"));
    let added = appended(&format, text);
    if let Some(canonical) = &added {
        let iso = TemporalFormat::compile("iso", kind).unwrap();
        assert_eq!(appended(&iso, canonical).as_ref(), Some(canonical), "{pattern:?} {text:?}");
    }
    added
}

/// What `format` appends for `text`, checking that a failure leaves the buffer as it was.
fn appended(format: &TemporalFormat, text: &str) -> Option<String> {
    let mut out = String::from("prefix|");
    let valid = format.parse_into(text, &mut out);
    let added = out.split_off("prefix|".len());
    assert_eq!(out, "prefix|");
    assert_eq!(valid, !added.is_empty(), "{:?} {text:?}", format.pattern());
    valid.then_some(added)
}

/// Checks a table of (pattern, kind, value, canonical form).
pub(super) fn check_valid(cases: &[(&str, TemporalKind, &str, &str)]) {
    for &(pattern, kind, text, canonical) in cases {
        assert_eq!(parsed(pattern, kind, text).as_deref(), Some(canonical), "{pattern:?} {text:?}");
    }
}

/// Checks a table of (pattern, kind, value) that must be refused.
pub(super) fn check_invalid(cases: &[(&str, TemporalKind, &str)]) {
    for &(pattern, kind, text) in cases {
        assert_eq!(parsed(pattern, kind, text), None, "{pattern:?} {text:?}");
    }
}

/// What the first of `formats` that reads `text` appends to a buffer, as a column does.
fn first_match(formats: &[TemporalFormat], text: &str) -> Option<String> {
    let mut out = String::from("row|");
    let valid = formats.iter().any(|format| format.parse_into(text, &mut out));
    let added = out.split_off("row|".len());
    assert_eq!(out, "row|");
    valid.then_some(added)
}

/// The compiled defaults of `kind`.
fn defaults(kind: TemporalKind) -> Vec<TemporalFormat> {
    let compile = |pattern: &&str| TemporalFormat::compile(pattern, kind).unwrap_or_else(|e| panic!("{e}"));
    default_patterns(kind).iter().map(compile).collect()
}

#[test]
fn every_date_directive_reads_its_field() {
    check_valid(&[
        ("%Y-%m-%d", Date, "2024-03-05", "2024-03-05"),
        ("%Y-%m-%d", Date, "0000-01-01", "0000-01-01"),
        ("%Y-%m-%d", Date, "9999-12-31", "9999-12-31"),
        ("%d/%m/%Y", Date, "31/12/2024", "2024-12-31"),
        ("%y-%m-%d", Date, "24-03-05", "2024-03-05"),
        ("%y-%m-%d", Date, "00-03-05", "2000-03-05"),
        ("%y-%m-%d", Date, "68-03-05", "2068-03-05"),
        ("%y-%m-%d", Date, "69-03-05", "1969-03-05"),
        ("%y-%m-%d", Date, "99-03-05", "1999-03-05"),
        ("%Y-%m-%e", Date, "2024-03- 5", "2024-03-05"),
        ("%Y-%m-%e", Date, "2024-03-05", "2024-03-05"),
        ("%Y-%m-%e", Date, "2024-03-5", "2024-03-05"),
        ("%Y-%m-%e", Date, "2024-03-15", "2024-03-15"),
        ("%b %e %Y", Date, "Mar  5 2024", "2024-03-05"),
        ("%e%m%Y", Date, " 5032024", "2024-03-05"),
        ("%d %b %Y", Date, "05 Mar 2024", "2024-03-05"),
        ("%d %b %Y", Date, "05 mar 2024", "2024-03-05"),
        ("%d %b %Y", Date, "05 DEC 2024", "2024-12-05"),
        ("%d %b %Y", Date, "05 Sept 2024", "2024-09-05"),
        ("%d %b %Y", Date, "05 sep 2024", "2024-09-05"),
        ("%d-%b-%y", Date, "05-Sept-24", "2024-09-05"),
        ("%d %h %Y", Date, "05 Jun 2024", "2024-06-05"),
        ("%d %B %Y", Date, "5 September 2024", "2024-09-05"),
        ("%d %B %Y", Date, "5 MAY 2024", "2024-05-05"),
        ("%B %d, %Y", Date, "february 29, 2024", "2024-02-29"),
        ("%a, %d %b %Y", Date, "Tue, 05 Mar 2024", "2024-03-05"),
        ("%a %Y-%m-%d", Date, "SUN 2024-03-03", "2024-03-03"),
        ("%A %Y-%m-%d", Date, "Tuesday 2024-03-05", "2024-03-05"),
        ("%A, %B %e, %Y", Date, "thursday, February 29, 2024", "2024-02-29"),
        ("%D", Date, "03/05/24", "2024-03-05"),
        ("%D", Date, "3/5/99", "1999-03-05"),
        ("%F", Date, "2024-03-05", "2024-03-05"),
        ("%Y%%%m%%%d", Date, "2024%03%05", "2024-03-05"),
        ("%Y年%m月%d日", Date, "2024年3月5日", "2024-03-05"),
        ("%d. %B %Y", Date, "5. March 2024", "2024-03-05"),
    ]);
}

#[test]
fn every_time_directive_reads_its_field() {
    check_valid(&[
        ("%H:%M", Time, "14:22", "14:22:00"),
        ("%H:%M", Time, "00:00", "00:00:00"),
        ("%H:%M:%S", Time, "23:59:59", "23:59:59"),
        ("%H.%M", Time, "9.05", "09:05:00"),
        ("%I:%M %p", Time, "2:22 PM", "14:22:00"),
        ("%I:%M %p", Time, "02:22 pm", "14:22:00"),
        ("%I:%M %p", Time, "2:22 p.m.", "14:22:00"),
        ("%I:%M %p", Time, "2:22 P.M.", "14:22:00"),
        ("%I:%M %p", Time, "2:22 am", "02:22:00"),
        ("%I:%M %p", Time, "2:22 A.m.", "02:22:00"),
        ("%I:%M%p", Time, "2:22AM", "02:22:00"),
        ("%p %I:%M", Time, "PM 2:22", "14:22:00"),
        ("%H:%M:%S.%f", Time, "14:22:31.5", "14:22:31.5"),
        ("%H:%M:%S.%f", Time, "14:22:31.000", "14:22:31.000"),
        ("%H:%M:%S.%f", Time, "14:22:31.123456789", "14:22:31.123456789"),
        ("%H:%M:%S%.f", Time, "14:22:31", "14:22:31"),
        ("%H:%M:%S%.f", Time, "14:22:31.25", "14:22:31.25"),
        ("%H:%M:%S%.f", Time, "14:22:31,25", "14:22:31.25"),
        ("%H:%M:%S%.f", Time, "14:22:31.123456789", "14:22:31.123456789"),
        ("%H:%M:%S%f", Time, "14:22:317", "14:22:31.7"),
        ("%T", Time, "14:22:31", "14:22:31"),
        ("%T", Time, "4:2:3", "04:02:03"),
        ("%R", Time, "14:22", "14:22:00"),
        ("%H:%M%z", Time, "14:22+01:00", "14:22:00+01:00"),
        ("%H:%M %:z", Time, "14:22 Z", "14:22:00Z"),
        ("%Hh%M", Time, "14h22", "14:22:00"),
        ("%H%%", Time, "14%", "14:00:00"),
    ]);
}

#[test]
fn datetimes_combine_date_time_fraction_and_offset() {
    check_valid(&[
        ("%Y-%m-%dT%H:%M:%S", DateTime, "2024-03-05T14:22:31", "2024-03-05T14:22:31"),
        ("%Y-%m-%dT%H:%M:%S", DateTime, "2024-03-05t14:22:31", "2024-03-05T14:22:31"),
        ("%Y-%m-%d %H", DateTime, "2024-03-05 14", "2024-03-05T14:00:00"),
        ("%Y-%m-%d %H:%M", DateTime, "2024-03-05   14:22", "2024-03-05T14:22:00"),
        ("%F %T", DateTime, "2024-03-05 14:22:31", "2024-03-05T14:22:31"),
        ("%D %R", DateTime, "03/05/24 14:22", "2024-03-05T14:22:00"),
        ("%d/%m/%Y %I:%M %p", DateTime, "05/03/2024 12:05 AM", "2024-03-05T00:05:00"),
        ("%a %b %e %T %Y", DateTime, "Tue Mar  5 14:22:31 2024", "2024-03-05T14:22:31"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31Z", "2024-03-05T14:22:31Z"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31z", "2024-03-05T14:22:31Z"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31.5Z", "2024-03-05T14:22:31.5Z"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31+05:30", "2024-03-05T14:22:31+05:30"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31+0530", "2024-03-05T14:22:31+05:30"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31-08", "2024-03-05T14:22:31-08:00"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31+00:00", "2024-03-05T14:22:31Z"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31+0000", "2024-03-05T14:22:31Z"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31-00", "2024-03-05T14:22:31Z"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31+23:59", "2024-03-05T14:22:31+23:59"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31-23:59", "2024-03-05T14:22:31-23:59"),
        ("%FT%T%.f%z", DateTime, "2024-03-05T14:22:31,75-00:30", "2024-03-05T14:22:31.75-00:30"),
        ("%FT%T%:z", DateTime, "2024-03-05T14:22:31-05:00", "2024-03-05T14:22:31-05:00"),
        ("%FT%T%:z", DateTime, "2024-03-05T14:22:31Z", "2024-03-05T14:22:31Z"),
        ("%FT%T %z", DateTime, "2024-03-05T14:22:31 +0100", "2024-03-05T14:22:31+01:00"),
        ("%FT%T%z%%", DateTime, "2024-03-05T14:22:31+01%", "2024-03-05T14:22:31+01:00"),
    ]);
}

#[test]
fn numbers_take_one_or_two_digits_unless_a_number_follows() {
    check_valid(&[
        ("%Y%m%d", Date, "20240131", "2024-01-31"),
        ("%Y%m%d", Date, "20240105", "2024-01-05"),
        ("%Y%m%d", Date, "2024015", "2024-01-05"),
        ("%y%m%d", Date, "240131", "2024-01-31"),
        ("%Y%m%d%H%M%S", DateTime, "20240131142231", "2024-01-31T14:22:31"),
        ("%Y%m%dT%H%M%S%z", DateTime, "20240131T142231+0100", "2024-01-31T14:22:31+01:00"),
        ("%H%M", Time, "1422", "14:22:00"),
        ("%H%M", Time, "142", "14:02:00"),
        ("%H%M%S%.f", Time, "142231.5", "14:22:31.5"),
        ("%m/%d/%Y", Date, "1/5/2024", "2024-01-05"),
        ("%m/%d/%Y", Date, "01/05/2024", "2024-01-05"),
        ("%d.%m.%Y", Date, "5.3.2024", "2024-03-05"),
        ("%d.%m.%y", Date, "5.3.24", "2024-03-05"),
        ("%H:%M", Time, "9:5", "09:05:00"),
        ("%d %B %Y", Date, "1 January 2024", "2024-01-01"),
    ]);
    check_invalid(&[
        ("%Y%m%d", Date, "202411"),
        ("%Y%m%d", Date, "202401311"),
        ("%Y%m%d", Date, "2024131"),
        ("%H%M", Time, "14"),
        ("%H%M", Time, "9:05"),
        ("%H%M%S", Time, "1422"),
        ("%H%M%S", Time, "1422311"),
        ("%m/%d/%Y", Date, "001/05/2024"),
        ("%m/%d/%Y", Date, "1/5/24"),
        ("%m/%d/%Y", Date, "1/5/02024"),
        ("%y-%m-%d", Date, "2024-03-05"),
        ("%y-%m-%d", Date, "4-03-05"),
        ("%Y-%m-%d", Date, "024-03-05"),
        ("%Y-%m-%d", Date, "+2024-03-05"),
        ("%Y-%m-%d", Date, "-2024-03-05"),
    ]);
}

#[test]
fn hostile_input_never_panics() {
    let patterns = [
        ("iso", Date),
        ("iso", DateTime),
        ("iso", Time),
        ("%FT%T%.f%z", DateTime),
        ("%a, %e %B %Y %I:%M:%S%.f %p %:z", DateTime),
        ("%A %d %b %y %H%M%S%f", DateTime),
        ("%Y%m%d", Date),
        ("%D %R", DateTime),
        ("%Y年%m月%d日", Date),
        ("%H:%M%z%%", Time),
    ];
    let samples = [
        "2024-03-05T14:22:31.123456789+05:30",
        "Tue, 5 March 2024 02:22:31.5 p.m. +05:30",
        "Tuesday 05 Mar 24 1422315",
        "2024年3月5日",
        "14:22+01%",
    ];
    let mut inputs: Vec<String> = ["", "+", "-", "Z", ".", ",", "T", "%", ":", " ", "\0", "é", "😀"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    inputs.extend(["9".repeat(10_000), " ".repeat(1_000), "Sept".repeat(100), "+".repeat(50)]);
    inputs.push(format!("2024-03-05T14:22:31.{}", "1".repeat(1_000)));
    for sample in samples {
        for (i, c) in sample.char_indices() {
            let (head, tail) = sample.split_at(i);
            let rest = &tail[c.len_utf8()..];
            for insert in ["é", "😀", "\u{301}", "Ⅻ", "٣", "\0", "+", "9"] {
                inputs.push(format!("{head}{insert}{tail}"));
                inputs.push(format!("{head}{insert}{rest}"));
            }
            inputs.push(head.to_owned());
            inputs.push(rest.to_owned());
        }
    }
    for (pattern, kind) in patterns {
        for text in &inputs {
            parsed(pattern, kind, text);
        }
    }
}

#[test]
fn defaults_compile_for_their_kind_only() {
    let kinds = [Date, DateTime, Time];
    for kind in kinds {
        let formats = defaults(kind);
        assert!(!formats.is_empty());
        for (format, pattern) in formats.iter().zip(default_patterns(kind)) {
            assert_eq!(format.pattern(), *pattern);
        }
        for other in kinds.iter().filter(|&&other| other != kind) {
            for pattern in default_patterns(kind) {
                assert!(TemporalFormat::compile(pattern, *other).is_err(), "{pattern:?} as {other:?}");
            }
        }
    }
}

#[test]
fn default_formats_read_the_usual_iso_shapes() {
    let cases = [
        (Date, "2024-03-05", Some("2024-03-05")),
        (Date, "2024-3-5", Some("2024-03-05")),
        (Date, "05/03/2024", None),
        (Date, "2024-03-05T00:00:00", None),
        (DateTime, "2024-03-05T14:22:31Z", Some("2024-03-05T14:22:31Z")),
        (DateTime, "2024-03-05T14:22:31.123+01:00", Some("2024-03-05T14:22:31.123+01:00")),
        (DateTime, "2024-03-05T14:22:31", Some("2024-03-05T14:22:31")),
        (DateTime, "2024-03-05T14:22:31.5", Some("2024-03-05T14:22:31.5")),
        (DateTime, "2024-03-05 14:22:31+0100", Some("2024-03-05T14:22:31+01:00")),
        (DateTime, "2024-03-05 14:22:31", Some("2024-03-05T14:22:31")),
        (DateTime, "2024-03-05T14:22Z", Some("2024-03-05T14:22:00Z")),
        (DateTime, "2024-03-05T14:22", Some("2024-03-05T14:22:00")),
        (DateTime, "2024-03-05 14:22", Some("2024-03-05T14:22:00")),
        (DateTime, "2024-03-05", None),
        (DateTime, "2024-03-05 14:22Z", None),
        (DateTime, "2024-02-30T14:22:31Z", None),
        (Time, "14:22:31", Some("14:22:31")),
        (Time, "14:22:31.250", Some("14:22:31.250")),
        (Time, "14:22", Some("14:22:00")),
        (Time, "25:00", None),
        (Time, "14:22:31Z", None),
    ];
    for (kind, text, expected) in cases {
        assert_eq!(first_match(&defaults(kind), text).as_deref(), expected, "{kind:?} {text:?}");
    }
}

#[test]
fn the_iso_preset_reads_iso_8601_of_each_kind() {
    let cases = [
        (Date, "2024-03-05", Some("2024-03-05")),
        (Date, "2024-03-05T14:22:31", None),
        (DateTime, "2024-03-05T14:22:31", Some("2024-03-05T14:22:31")),
        (DateTime, "2024-03-05t14:22:31.5z", Some("2024-03-05T14:22:31.5Z")),
        (DateTime, "2024-03-05T14:22:31-0500", Some("2024-03-05T14:22:31-05:00")),
        (DateTime, "2024-03-05T14:22", None),
        (DateTime, "2024-03-05T14:22:31+", None),
        (Time, "14:22:31", Some("14:22:31")),
        (Time, "14:22:31.25+01:00", Some("14:22:31.25+01:00")),
        (Time, "14:22", None),
    ];
    for (kind, text, expected) in cases {
        let iso = TemporalFormat::compile("iso", kind).unwrap();
        assert_eq!(iso.pattern(), "iso");
        assert_eq!(first_match(&[iso], text).as_deref(), expected, "{kind:?} {text:?}");
    }
}

#[test]
fn the_first_format_that_reads_the_whole_value_wins() {
    let formats: Vec<TemporalFormat> = ["%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y"]
        .iter()
        .map(|pattern| TemporalFormat::compile(pattern, Date).unwrap())
        .collect();
    let cases = [
        ("03/05/2024", Some("2024-03-05")),
        ("13/05/2024", Some("2024-05-13")),
        ("5.3.2024", Some("2024-03-05")),
        ("13/13/2024", None),
        ("03/05/2024x", None),
    ];
    for (text, expected) in cases {
        assert_eq!(first_match(&formats, text).as_deref(), expected, "{text:?}");
    }
}

/// The ISO fast path never decides differently from the general parser.
mod iso_fast_path {
    use super::super::{TemporalFormat, TemporalKind, iso, parse};
    use proptest::prelude::*;

    fn general(format: &TemporalFormat, text: &str) -> Option<String> {
        let mut out = String::new();
        parse::parse_into(&format.items, format.kind, text, &mut out).then_some(out)
    }

    fn fast(format: &TemporalFormat, text: &str) -> Option<String> {
        let mut out = String::new();
        iso::parse(format.fast?, text, &mut out).map(|()| out)
    }

    fn isoish() -> impl Strategy<Value = String> {
        let parts = prop::sample::select(vec![
            "2024",
            "0000",
            "1900",
            "2000",
            "-",
            "02",
            "29",
            "30",
            "13",
            "00",
            "31",
            "T",
            "t",
            " ",
            "23",
            "24",
            ":",
            "59",
            "60",
            ".",
            ",",
            "5",
            "123456789",
            "1234567890",
            "Z",
            "z",
            "+",
            "+00:00",
            "-00:00",
            "+05:30",
            "+2400",
            "-12:60",
            "é",
        ]);
        prop::collection::vec(parts, 0..14).prop_map(|p| p.concat())
    }

    fn structured() -> impl Strategy<Value = String> {
        let pick = |items: &[&'static str]| prop::sample::select(items.to_vec());
        (
            pick(&["2024", "2023", "1900", "2000", "0000", "999", "20245"]),
            pick(&["01", "02", "12", "13", "00", "1", "-02"]),
            pick(&["01", "28", "29", "30", "31", "00", "1"]),
            pick(&["", "T", "t", " ", "TT"]),
            pick(&["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1:02:03", "12:30"]),
            pick(&["", ".5", ".123456789", ".1234567890", ",5", "."]),
            pick(&["", "Z", "z", "+00:00", "-00:00", "+05:30", "-23:59", "+24:00", "+0530", "+05", "+05:3"]),
        )
            .prop_map(|(y, m, d, t, hms, f, z)| {
                if t.is_empty() { format!("{y}-{m}-{d}") } else { format!("{y}-{m}-{d}{t}{hms}{f}{z}") }
            })
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_the_general_parser(text in prop_oneof![isoish(), structured()]) {
            let patterns = [
                ("%Y-%m-%d", TemporalKind::Date),
                ("iso", TemporalKind::Date),
                ("%Y-%m-%dT%H:%M:%S%.f%z", TemporalKind::DateTime),
                ("%Y-%m-%dT%H:%M:%S%.f", TemporalKind::DateTime),
                ("iso", TemporalKind::DateTime),
                ("%H:%M:%S%.f", TemporalKind::Time),
            ];
            let time = text.get(11..).unwrap_or_default();
            for (pattern, kind) in patterns {
                let format = TemporalFormat::compile(pattern, kind).unwrap();
                for text in [text.as_str(), time] {
                    if let Some(fast) = fast(&format, text) {
                        prop_assert_eq!(Some(fast), general(&format, text), "{} {:?}", pattern, text);
                    }
                }
            }
        }
    }

    #[test]
    fn common_values_take_the_fast_path() {
        let date = TemporalFormat::compile("%Y-%m-%d", TemporalKind::Date).unwrap();
        assert_eq!(fast(&date, "2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(fast(&date, "2023-02-29"), None);
        let stamp = TemporalFormat::compile("%Y-%m-%dT%H:%M:%S%.f%z", TemporalKind::DateTime).unwrap();
        assert_eq!(fast(&stamp, "2024-03-05T14:22:31Z").as_deref(), Some("2024-03-05T14:22:31Z"));
        assert_eq!(
            fast(&stamp, "2024-03-05T14:22:31.250+00:00").as_deref(),
            Some("2024-03-05T14:22:31.250Z")
        );
        assert_eq!(fast(&stamp, "2024-03-05T14:22:31-05:30").as_deref(), Some("2024-03-05T14:22:31-05:30"));
    }
}
