//! Texts for people that a schema may give in several languages (a column's label and hint),
//! and the choice of one for a reader's language.

/// One text, or the same text in several languages, in the order the schema gave them (a
/// table's order: by language tag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translations {
    /// (language tag, text); the tag is empty for a text given as a plain string.
    texts: Vec<(String, String)>,
}

/// The language a text is taken in when the reader's is missing.
const FALLBACK: &str = "en";

impl Translations {
    pub(crate) fn one(text: String) -> Self {
        Translations { texts: vec![(String::new(), text)] }
    }

    pub(crate) fn new(texts: Vec<(String, String)>) -> Self {
        Translations { texts }
    }

    /// The text for `language` (a tag such as `de` or `de-CH`): the exact tag, then its
    /// primary language (`de`), then English, then the first given.
    pub fn get(&self, language: &str) -> &str {
        let primary = language.split(['-', '_']).next().unwrap_or(language);
        let find = |tag: &str| self.texts.iter().find(|(l, _)| l.eq_ignore_ascii_case(tag));
        let found = find(language).or_else(|| find(primary)).or_else(|| find(FALLBACK));
        found.or(self.texts.first()).map_or("", |(_, text)| text.as_str())
    }

    /// The text when no language is asked for: English, or the first given.
    pub fn default_text(&self) -> &str {
        self.get(FALLBACK)
    }

    /// Every (language tag, text), the tag empty for a plain string.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.texts.iter().map(|(l, t)| (l.as_str(), t.as_str()))
    }

    /// The texts other than the default one (header names in other languages).
    pub(crate) fn others(&self) -> impl Iterator<Item = &str> {
        let default = self.default_text();
        self.texts.iter().map(|(_, t)| t.as_str()).filter(move |t| *t != default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_language_then_its_primary_then_english_then_the_first() {
        let texts = |pairs: &[(&str, &str)]| {
            Translations::new(pairs.iter().map(|(l, t)| ((*l).to_owned(), (*t).to_owned())).collect())
        };
        let labels = texts(&[("de", "E-Mail"), ("en", "Email"), ("fr", "Courriel")]);
        assert_eq!(labels.get("de"), "E-Mail");
        assert_eq!(labels.get("de-CH"), "E-Mail");
        assert_eq!(labels.get("FR"), "Courriel");
        assert_eq!(labels.get("nl"), "Email");
        assert_eq!(labels.default_text(), "Email");
        assert_eq!(labels.others().collect::<Vec<_>>(), ["E-Mail", "Courriel"]);
        assert_eq!(texts(&[("fr", "Nom"), ("pt", "Nome")]).get("es"), "Nom");
        assert_eq!(Translations::one("Plan".to_owned()).get("de"), "Plan");
    }
}
