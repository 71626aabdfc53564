//! LIKE patterns: the pattern syntax of the builder and the object form, MySQL's reading of a
//! LIKE literal, and plain text escaped for `contains` / `startsWith` / `endsWith`.
//!
//! MySQL reads a LIKE literal **twice** (live findings D, recordings 916–919): first as a
//! string literal (`\\` becomes `\`), then as a pattern in which `\` escapes the next
//! character. The `=` escaping of [`literal`](super::literal) (one doubled backslash) therefore
//! does not make a backslash literal inside LIKE: `LIKE 'Back\\slash'` matches `Backslash`.
//!
//! # The pattern syntax (`Value::Str` under `Op::Like`)
//!
//! * `%` matches any run of characters, `_` any one character;
//! * `\%`, `\_` and `\\` stand for a literal `%`, `_` and `\`;
//! * any other `\` is a literal backslash (`C:\dir%` matches what starts with `C:\dir`).
//!
//! [`like_escape`] turns plain text into a pattern matching exactly that text. The renderer
//! writes a pattern for MySQL with [`to_mysql`] (a literal `\` becomes `\\` for the pattern
//! reader, then `\\\\` in the VTQL literal; a literal `%` becomes `\\%`). The raw parser reads
//! a LIKE literal the way MySQL does and brings it back to this syntax with [`from_mysql`], so
//! that re-rendered raw VTQL means what its text meant.

use crate::prelude::*;
/// Plain text as a pattern that matches exactly that text: `%`, `_` and `\` are escaped.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A pattern (the syntax above) as the string MySQL's LIKE must see, escape character `\`:
/// `\%`, `\_` and `\\` stay as they are, any other backslash is doubled. [`literal`] then
/// quotes the result for VTQL (doubling every backslash once more).
///
/// [`literal`]: super::literal
pub(crate) fn to_mysql(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut it = pattern.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push('\\');
        match it.peek() {
            Some(&n @ ('%' | '_' | '\\')) => {
                out.push(n);
                it.next();
            }
            // A literal backslash.
            _ => out.push('\\'),
        }
    }
    out
}

/// The value of a LIKE literal as MySQL's string reader left it, read the way MySQL's LIKE
/// reads it (`\x` is a literal `x` for any `x`, a trailing `\` is a literal backslash), and
/// written back in the pattern syntax above (canonical: every literal `%`, `_` and `\`
/// escaped).
pub(crate) fn from_mysql(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let mut it = value.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let lit = it.next().unwrap_or('\\');
        if matches!(lit, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(lit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MySQL's LIKE over a string (escape `\`): a reference matcher for the tests.
    fn mysql_like(value: &str, pattern: &str) -> bool {
        #[derive(Debug)]
        enum P {
            Lit(char),
            One,
            Any,
        }
        let mut ps = Vec::new();
        let mut it = pattern.chars();
        while let Some(c) = it.next() {
            ps.push(match c {
                '\\' => P::Lit(it.next().unwrap_or('\\')),
                '%' => P::Any,
                '_' => P::One,
                c => P::Lit(c),
            });
        }
        fn go(v: &[char], p: &[P]) -> bool {
            match p.first() {
                None => v.is_empty(),
                Some(P::Any) => (0..=v.len()).any(|i| go(&v[i..], &p[1..])),
                Some(P::One) => !v.is_empty() && go(&v[1..], &p[1..]),
                Some(P::Lit(c)) => v.first() == Some(c) && go(&v[1..], &p[1..]),
            }
        }
        let v: Vec<char> = value.chars().collect();
        go(&v, &ps)
    }

    #[test]
    fn escaped_text_matches_itself_only() {
        for text in [
            "Back\\slash",
            "100%",
            "a_b",
            "\\",
            "%_\\%",
            "plain",
            "x\\%y",
            "é\\",
        ] {
            let p = to_mysql(&like_escape(text));
            assert!(mysql_like(text, &p), "{text} vs {p}");
            for other in [
                "Backslash",
                "100x",
                "axb",
                "",
                "\\\\",
                "%_\\",
                "plainx",
                "x%y",
            ] {
                if other != text {
                    assert!(!mysql_like(other, &p), "{other} matched {p}");
                }
            }
        }
    }

    #[test]
    fn the_pattern_syntax() {
        // A backslash not before % _ \ is literal; \% \_ \\ escape.
        assert_eq!(to_mysql("Back\\slash%"), "Back\\\\slash%");
        assert_eq!(to_mysql("100\\%%"), "100\\%%");
        assert_eq!(to_mysql("a\\_b"), "a\\_b");
        assert_eq!(to_mysql("a\\\\b"), "a\\\\b");
        assert_eq!(to_mysql("end\\"), "end\\\\");
        assert!(mysql_like("Back\\slash L", &to_mysql("Back\\slash%")));
        assert!(!mysql_like("Backslash L", &to_mysql("Back\\slash%")));
    }

    #[test]
    fn from_mysql_keeps_the_meaning() {
        for (mysql, canon) in [
            ("Back\\slash", "Backslash"),
            ("Back\\\\slash", "Back\\\\slash"),
            ("100\\%%", "100\\%%"),
            ("a\\_b_", "a\\_b_"),
            ("end\\", "end\\\\"),
            ("plain%", "plain%"),
        ] {
            assert_eq!(from_mysql(mysql), canon, "{mysql}");
            let back = to_mysql(canon);
            for v in [
                "Backslash",
                "Back\\slash",
                "100%x",
                "100xx",
                "a_bc",
                "axbc",
                "end\\",
                "end",
                "plainly",
            ] {
                assert_eq!(
                    mysql_like(v, mysql),
                    mysql_like(v, &back),
                    "{v} ~ {mysql} / {back}"
                );
            }
        }
    }
}
