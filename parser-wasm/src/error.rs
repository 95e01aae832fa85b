//! Errors a caller can make: configuration (options, schemas) and misuse of a streaming API.
//! Problems in the data are not errors of this kind: they are part of the output, with positions.

/// A configuration error: an option or a schema that cannot be used. The message names the
/// option, or the schema column and field, and says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A reader or import option.
    Option {
        /// The option's name, as written in JSON (`"fallbackEncoding"`, `"limits.maxColumns"`).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A schema that is not valid JSON or TOML, or does not have the schema's shape.
    SchemaSyntax {
        /// `"JSON"` or `"TOML"`.
        format: &'static str,
        /// Where, as `line L, column C`, when known.
        location: Option<(usize, usize)>,
        /// The path of the field (`columns[2].min`), when known.
        path: String,
        /// What the parser said.
        message: String,
    },
    /// A field of one schema column.
    SchemaColumn {
        /// The column's key, or `#N` when it has none.
        column: String,
        /// The field of the column (`"max"`, `"formats[1]"`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A field of the schema outside any column.
    Schema {
        /// The field (`"version"`, `"columns"`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn option(name: &str, reason: String) -> Self {
        ConfigError::Option { name: name.to_owned(), reason }
    }

    pub(crate) fn column(column: &str, field: &str, reason: impl Into<String>) -> Self {
        ConfigError::SchemaColumn {
            column: column.to_owned(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn schema(field: &str, reason: impl Into<String>) -> Self {
        ConfigError::Schema { field: field.to_owned(), reason: reason.into() }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Option { name, reason } => write!(f, "option {name:?}: {reason}"),
            ConfigError::SchemaSyntax { format, location, path, message } => {
                write!(f, "schema ({format})")?;
                if let Some((line, column)) = location {
                    write!(f, " at line {line}, column {column}")?;
                }
                if !path.is_empty() && path != "." {
                    write!(f, ", field {path}")?;
                }
                write!(f, ": {message}")
            }
            ConfigError::SchemaColumn { column, field, reason } => {
                write!(f, "schema column {column:?}, field {field:?}: {reason}")
            }
            ConfigError::Schema { field, reason } => write!(f, "schema field {field:?}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A streaming API used out of order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// `feed` or `finish` was called after `finish`.
    Finished,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::Finished => {
                f.write_str("the input was already finished; create a new parser to read another file")
            }
        }
    }
}

impl std::error::Error for UsageError {}
