//! The syntax tree of the SOQL subset the emulator understands, with source offsets kept on
//! every name so later checks (unknown field, wrong type) can point at it.

use chrono::{DateTime, NaiveDate, Utc};

/// A dotted name (`Account.Owner.Name`) and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Segments as written.
    pub parts: Vec<String>,
    /// Byte offset of the first segment.
    pub pos: usize,
}

impl Path {
    /// The path as written, segments joined by dots.
    pub fn text(&self) -> String {
        self.parts.join(".")
    }
}

/// One item of the SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// A field or a parent-relationship path.
    Field(Path),
    /// `COUNT()`: only the number of rows.
    CountAll {
        /// Offset of `COUNT`.
        pos: usize,
    },
    /// A child-relationship subquery.
    SubQuery(Box<Query>),
}

/// A literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// Quoted text (escapes decoded).
    Str(String),
    /// A number as written.
    Num(String),
    /// `YYYY-MM-DD`
    Date(NaiveDate),
    /// A datetime.
    DateTime(DateTime<Utc>),
    /// A relative date literal such as `TODAY` or `LAST_N_DAYS:30`.
    Relative {
        /// Upper-case name.
        name: String,
        /// The `n` of the `:n` forms.
        n: Option<i64>,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=` / `<>`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `LIKE`
    Like,
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// All must hold.
    And(Vec<Cond>),
    /// One must hold.
    Or(Vec<Cond>),
    /// Negation.
    Not(Box<Cond>),
    /// `path op literal`.
    Cmp {
        /// The field.
        path: Path,
        /// The operator.
        op: Op,
        /// The literal.
        value: Literal,
        /// Offset of the literal.
        value_pos: usize,
    },
    /// `path [NOT] IN (literals)`.
    In {
        /// The field.
        path: Path,
        /// `NOT IN`.
        negated: bool,
        /// The literals.
        values: Vec<Literal>,
        /// Offset of the first literal.
        value_pos: usize,
    },
    /// `path [NOT] IN (SELECT field FROM …)`: a semi-join or anti-join.
    InQuery {
        /// The field.
        path: Path,
        /// `NOT IN`.
        negated: bool,
        /// The inner query (one field selected).
        query: Box<Query>,
    },
    /// `path INCLUDES|EXCLUDES ('a;b', 'c')` on a multi-select picklist.
    Includes {
        /// The field.
        path: Path,
        /// `EXCLUDES`.
        negated: bool,
        /// Each entry is a set of values that must all be selected.
        values: Vec<String>,
    },
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    /// The field.
    pub path: Path,
    /// `DESC`.
    pub desc: bool,
    /// `NULLS LAST` (`Some(true)`), `NULLS FIRST` (`Some(false)`) or the default.
    pub nulls_last: Option<bool>,
}

/// A SOQL query (or subquery).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The SELECT list.
    pub select: Vec<SelectItem>,
    /// The FROM object (or child relationship, in a subquery) and its offset.
    pub from: Path,
    /// WHERE.
    pub filter: Option<Cond>,
    /// ORDER BY.
    pub order: Vec<OrderKey>,
    /// LIMIT.
    pub limit: Option<u64>,
    /// OFFSET.
    pub offset: Option<u64>,
}
