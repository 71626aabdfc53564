//! VTQL (the `query` operation's language) as a typed syntax tree rendered to safe text.
//!
//! # What VTQL can express
//!
//! ```text
//! SELECT * | count(*) | f1, f2 … FROM Module [WHERE cond] [ORDER BY a, b [ASC|DESC]] [LIMIT [m,] n];
//! ```
//!
//! * `cond` is a flat list of `field op value` terms joined by `AND`/`OR`. There are **no
//!   parentheses**, and `AND` binds tighter than `OR` (the server pastes the list into one SQL
//!   group). [`Select::render`] therefore writes every condition in disjunctive normal form:
//!   `(a OR b) AND c` becomes `a AND c OR b AND c`, which is exact. A condition whose normal
//!   form would hold more than [`MAX_DNF_TERMS`] terms is rejected with `INVALID_INPUT`.
//! * Operators: `= != < > <= >= IN LIKE`. `NOT LIKE`, `NOT IN`, `<>`, `IS NULL` and
//!   `BETWEEN` do not exist (the server answers `QUERY_SYNTAX_ERROR`).
//! * `ORDER BY` takes one direction, written once at the end and applied to the last column
//!   only; a `DESC` on any other column cannot be expressed and is rejected.
//! * At most [`MAX_ROWS`] (100) rows come back per call, whatever `LIMIT` says; a `LIMIT`
//!   count above 100 is rejected by [`Select::render`] (use
//!   [`crate::vtiger::paging::QueryAll`] for more rows).
//! * The trailing `;` is mandatory and always written.
//!
//! # Literals and injection
//!
//! The server's lexer reads a literal as `'(?:[^']|'')+'` and then hands the text verbatim to
//! MySQL, which also treats `\` as an escape character. [`literal()`] therefore doubles every
//! `'` **and** every `\`, so the lexer and MySQL agree on where the literal ends and MySQL
//! reads back exactly the input. Newlines, tabs, `;`, ` or `, `where`, `limit` and any
//! Unicode are carried as-is (the lexer's `[^']` matches them). Two inputs are rejected
//! with `INVALID_INPUT`:
//! * the empty string: the lexer needs at least one character, so `''` cannot be written
//!   (the server would answer `INTERNAL_SERVER_ERROR`), and no other spelling means "empty";
//! * a NUL character: MySQL client paths may cut the statement at NUL, leaving a broken or
//!   truncated condition.
//!
//! **LIKE** values are patterns and MySQL reads them twice (string literal, then pattern with
//! `\` as its escape; live findings D): a literal `\` is written `\\\\` in VTQL, a literal `%`
//! or `_` `\\%` / `\\_`. The pattern syntax of a `like` value (`%`, `_`; `\%`, `\_`, `\\`
//! for the literal characters; any other `\` literal), [`like_escape`] and the
//! `contains` / `startsWith` / `endsWith` helpers ([`Cond::contains`]) are in `like`. The raw
//! parser reads a LIKE literal as MySQL does, so re-rendered raw text keeps its meaning.
//!
//! **4-byte characters** (emoji) in literals never match on a utf8mb3 database (live findings
//! E): [`Select::apply_four_byte`] and [`four_byte_text`] apply the client's `fourByteChars`
//! policy to queries (reject, replace as records are, or send).
//!
//! **`query_related`** splits its text on the exact string `WHERE` (live findings C): text for
//! it is rendered with an upper-case `WHERE` inside a literal written `WH\ERE`, which MySQL
//! reads as `WHERE` (see `render`, and [`crate::vtiger::related`] for the rest of its rules).
//!
//! Values are always quoted, numbers included (`'1.5'`; an unquoted decimal is a lexer
//! error and a bare word is read by MySQL as a column name), except an integer that raw
//! VTQL wrote unquoted ([`Value::Int`], kept unquoted so that a re-rendered query compares
//! the way the caller's text did). Webservice ids are validated
//! ([`WsId`](crate::vtiger::WsId)) and written quoted (`'12x5'`). Because the server inserts the numeric part of
//! an id, reference or owner value **unquoted** into SQL, a string compared with `id`,
//! `assigned_user_id`, `modifiedby`, `created_user_id`, `related_to` or any field whose
//! name ends in `_id` must be a valid webservice id; anything else is rejected
//! (`id = '12x1 OR 1=1'` would otherwise inject). Callers comparing other reference fields
//! should pass [`Value::Id`].
//!
//! Identifiers (module and field names) must match `^[A-Za-z_][A-Za-z0-9_]*$` and must not
//! be a VTQL keyword (the server's lexer switches clauses on bare `where`, `order`, `by`,
//! `limit`…).
//!
//! # Caveat
//!
//! On a MySQL server running with `NO_BACKSLASH_ESCAPES` a doubled backslash would match two
//! backslashes; stock Vtiger installs do not use that mode.
//!
//! # Layout
//!
//! * `literal`: literals (escaping) and identifier checks;
//! * `like`: LIKE patterns (their syntax, MySQL's reading, plain text escaped);
//! * `four_byte`: the `fourByteChars` policy on literals;
//! * `ast`: the syntax tree ([`Select`], [`Cond`], [`Term`], [`Value`]), its validation and
//!   its disjunctive normal form;
//! * `render`: the tree as VTQL text;
//! * `spec`: the JSON object form ([`Select::from_spec`]);
//! * `parse`: raw VTQL text read back into the tree ([`Select::parse`]).

// `Error` is the crate-wide error type; its size is a crate-level decision.
#![allow(clippy::result_large_err)]

mod ast;
mod four_byte;
mod like;
mod literal;
mod parse;
mod render;
mod spec;

pub use ast::{Cond, Dir, Dnf, Limit, Op, Select, Term, Value, MAX_DNF_TERMS, MAX_ROWS};
pub use four_byte::four_byte_text;
pub use like::like_escape;
pub use literal::{check_ident, literal};
pub(crate) use render::{count_where, render_dnf, render_terms, Style};
