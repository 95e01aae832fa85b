//! The benchmark file, generated deterministically: 10 columns of integers, decimals, ISO
//! dates and timestamps, emails, names (about a third quoted, with a comma inside) and notes
//! (some quoted with embedded newlines and escaped quotes). The same seed gives the same bytes.
//! The plain variant has the same columns and values with no quote at all: names without a
//! comma, notes without quotes, commas or newlines.

#[path = "rng.rs"]
mod rng;

use rng::Rng;

/// Picks one of `items`.
fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len() as u64) as usize]
}

const FIRST: [&str; 16] = [
    "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Margaret", "Dennis", "Ken", "Frances", "Radia",
    "Linus", "Guido", "Bjarne", "Niklaus", "Zoë",
];
const LAST: [&str; 16] = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Ritchie",
    "Thompson",
    "Allen",
    "Perlman",
    "Torvalds",
    "van Rossum",
    "Stroustrup",
    "Wirth",
    "Müller",
];
const DOMAINS: [&str; 6] =
    ["example.com", "example.org", "mail.example.net", "corp.example", "example.co.uk", "example.de"];
const COUNTRIES: [&str; 12] = ["FR", "DE", "GB", "US", "NL", "SE", "ES", "IT", "CA", "JP", "BR", "IN"];
const NOTES: [&str; 6] = [
    "prefers email",
    "VIP since 2019",
    "call after 5pm",
    "met at the \"Data Days\" conference",
    "two lines:\nfollow up in Q3",
    "",
];

/// The header row.
pub(crate) const HEADER: &str = "id,name,email,age,balance,signup_date,last_login,country,active,notes\n";

/// Appends row `n` (from 1) to `out`, with quoted fields when `quoted`.
pub(crate) fn row(rng: &mut Rng, n: u64, quoted: bool, out: &mut String) {
    use std::fmt::Write;
    let (first, last) = (pick(rng, &FIRST), pick(rng, &LAST));
    let _ = write!(out, "{n},");
    if rng.below(3) == 0 && quoted {
        let _ = write!(out, "\"{last}, {first}\",");
    } else {
        let _ = write!(out, "{first} {last},");
    }
    let domain = pick(rng, &DOMAINS);
    let _ =
        write!(out, "{}.{}{}@{domain},", first.to_lowercase(), last.to_lowercase().replace(' ', ""), n % 997);
    let _ = write!(out, "{},", 18 + rng.below(70));
    let _ = write!(out, "{}.{:02},", rng.below(100_000), rng.below(100));
    let _ = write!(out, "{}-{:02}-{:02},", 2015 + rng.below(10), 1 + rng.below(12), 1 + rng.below(28));
    let (h, m, s) = (rng.below(24), rng.below(60), rng.below(60));
    let _ = write!(out, "2024-{:02}-{:02}T{h:02}:{m:02}:{s:02}Z,", 1 + rng.below(12), 1 + rng.below(28));
    let _ = write!(out, "{},{},", pick(rng, &COUNTRIES), if rng.below(2) == 0 { "true" } else { "false" });
    note(rng, quoted, out);
    out.push('\n');
}

fn note(rng: &mut Rng, quoted: bool, out: &mut String) {
    let note = pick(rng, &NOTES);
    if !quoted {
        out.push_str(&note.replace(['"', '\n', ','], " "));
    } else if note.contains(['"', '\n', ',']) {
        out.push('"');
        out.push_str(&note.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(note);
    }
}

/// The whole file with `rows` rows.
pub(crate) fn file(rows: u64) -> Vec<u8> {
    file_with(rows, true)
}

/// The whole file with `rows` rows, with quoted names and notes or (`quoted` false) none.
pub(crate) fn file_with(rows: u64, quoted: bool) -> Vec<u8> {
    let mut rng = Rng(0x5105_CE00);
    let mut out = String::with_capacity(rows as usize * 125 + HEADER.len());
    out.push_str(HEADER);
    for n in 1..=rows {
        row(&mut rng, n, quoted, &mut out);
    }
    out.into_bytes()
}
