//! The simulator's own VTQL front end, written from the recordings and the lexer rules (not from
//! crmwire's builder): a state-machine lexer with VTQL's literal rule `'(?:[^']|'')+'` (a backslash
//! means nothing to it), a parser that produces Vtiger's recorded syntax-error messages, and a
//! generator that pastes every value VERBATIM into SQL text, exactly like `VTQL_Parser` does. The SQL
//! text is then read by [`crate::sql`] with MySQL's rules (backslash escapes), which is where the
//! recorded injection comes from.

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Select,
    From,
    Where,
    OrderBy,
    Limit,
    And,
    Or,
    In,
    Like,
    Asc,
    Desc,
    Count,
    Star,
    Comma,
    ParenOpen,
    ParenClose,
    Semicolon,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    ColumnName(String),
    TableName(String),
    /// A value token: a quoted literal (with its quotes, as written), a word or a signed integer.
    Value(String),
}

impl Tok {
    fn kind(&self) -> &'static str {
        match self {
            Tok::Select => "SELECT",
            Tok::From => "FROM",
            Tok::Where => "WHERE",
            Tok::OrderBy => "ORDERBY",
            Tok::Limit => "LIMIT",
            Tok::And => "LOGICAL_AND",
            Tok::Or => "LOGICAL_OR",
            Tok::In => "IN",
            Tok::Like => "LIKE",
            Tok::Asc => "ASC",
            Tok::Desc => "DESC",
            Tok::Count => "COUNT",
            Tok::Star => "STAR",
            Tok::Comma => "COMMA",
            Tok::ParenOpen => "PARENOPEN",
            Tok::ParenClose => "PARENCLOSE",
            Tok::Semicolon => "SEMICOLON",
            Tok::Eq => "EQ",
            Tok::Ne => "NE",
            Tok::Lt => "LT",
            Tok::Gt => "GT",
            Tok::Le => "LTE",
            Tok::Ge => "GTE",
            Tok::ColumnName(_) => "COLUMNNAME",
            Tok::TableName(_) => "TABLENAME",
            Tok::Value(_) => "VALUE",
        }
    }
}

/// One lexed token plus the exact text it came from.
#[derive(Clone, Debug)]
pub struct Lexed {
    pub tok: Tok,
    pub text: String,
}

#[derive(Debug, PartialEq)]
pub enum VtqlError {
    /// The lexer could not tokenise (Vtiger answers INTERNAL_SERVER_ERROR).
    Lexer,
    /// QUERY_SYNTAX_ERROR with Vtiger's message.
    Syntax(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Columns,
    Table,
    Where,
    OrderBy,
    Limit,
    End,
}

/// Reads a VTQL single-quoted literal at `s` (which starts with `'`). Returns its byte length.
/// Rule: `'(?:[^']|'')+'`, greedy with backtracking (as PCRE would).
pub fn literal_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    debug_assert_eq!(b.first(), Some(&b'\''));
    let mut i = 1;
    let mut count = 0usize;
    let mut last_pair: Option<(usize, usize)> = None; // (position of the pair, count before it)
    while i < b.len() {
        if b[i] != b'\'' {
            i += 1;
            count += 1;
        } else if i + 1 < b.len() && b[i + 1] == b'\'' {
            last_pair = Some((i, count));
            i += 2;
            count += 1;
        } else {
            return if count >= 1 { Some(i + 1) } else { None };
        }
    }
    // No closing quote: backtrack to the last `''`, whose first quote closes the literal.
    match last_pair {
        Some((p, c)) if c >= 1 => Some(p + 1),
        _ => None,
    }
}

/// The lexer's white space (`[ \t\r\n]+`).
const LEX_SPACE: [char; 4] = [' ', '\t', '\r', '\n'];

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Lexes the whole query. A lexer failure is returned as the final `Err` element so that a parser
/// error that happens earlier wins (Vtiger's parser pulls tokens one at a time).
pub fn lex(q: &str) -> Vec<Result<Lexed, ()>> {
    let b = q.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut st = State::Start;
    // In WHERE: whether the next word is a column name (true) or a value (false).
    let mut expect_col = true;
    // Inside `IN ( … )`: every word is a value until `)` (VTQL_Lexer's `$in_started`: the lab's
    // 8.4.0 answers `lastname IN ('s00', 000)` and `IN (1, 2)` with rows, not a syntax error).
    let mut in_list = false;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
            continue;
        }
        let start = i;
        let tok = if c == b'\'' {
            match literal_len(&q[i..]) {
                Some(n) => {
                    i += n;
                    expect_col = !in_list;
                    Tok::Value(q[start..i].to_string())
                }
                None => {
                    out.push(Err(()));
                    return out;
                }
            }
        } else if is_word_byte(c)
            || ((c == b'-' || c == b'+') && i + 1 < b.len() && b[i + 1].is_ascii_digit())
        {
            i += 1;
            while i < b.len() && is_word_byte(b[i]) {
                i += 1;
            }
            let w = &q[start..i];
            let lw = w.to_ascii_lowercase();
            if c == b'-' || c == b'+' {
                if !w[1..].bytes().all(|x| x.is_ascii_digit()) {
                    out.push(Err(()));
                    return out;
                }
                expect_col = !in_list;
                Tok::Value(w.to_string())
            } else {
                match (st, lw.as_str()) {
                    (State::Start, "select") => {
                        st = State::Columns;
                        Tok::Select
                    }
                    (State::Columns, "from") => {
                        st = State::Table;
                        Tok::From
                    }
                    (State::Columns, "count") => Tok::Count,
                    (State::Table | State::Where | State::OrderBy | State::Limit, "where") => {
                        st = State::Where;
                        expect_col = true;
                        Tok::Where
                    }
                    (State::Table | State::Where, "orderby") => {
                        st = State::OrderBy;
                        Tok::OrderBy
                    }
                    (State::Table | State::Where, "order")
                        if q[i..]
                            .trim_start_matches(LEX_SPACE)
                            .as_bytes()
                            .get(..2)
                            .is_some_and(|w| w.eq_ignore_ascii_case(b"by")) =>
                    {
                        let rest = q[i..].trim_start_matches(LEX_SPACE);
                        i = q.len() - rest.len() + 2;
                        st = State::OrderBy;
                        Tok::OrderBy
                    }
                    (State::Table | State::Where | State::OrderBy, "limit") => {
                        st = State::Limit;
                        Tok::Limit
                    }
                    (State::Where, "and") => {
                        expect_col = true;
                        Tok::And
                    }
                    (State::Where, "or") => {
                        expect_col = true;
                        Tok::Or
                    }
                    (State::Where, "in") => {
                        expect_col = false;
                        in_list = true;
                        Tok::In
                    }
                    (State::Where, "like") => {
                        expect_col = false;
                        Tok::Like
                    }
                    (State::OrderBy, "asc") => Tok::Asc,
                    (State::OrderBy, "desc") => Tok::Desc,
                    (State::Table, _) => Tok::TableName(w.to_string()),
                    (State::Where, _) => {
                        if expect_col {
                            expect_col = false;
                            Tok::ColumnName(w.to_string())
                        } else {
                            expect_col = !in_list;
                            Tok::Value(w.to_string())
                        }
                    }
                    (State::Limit, _) if w.bytes().all(|x| x.is_ascii_digit()) => {
                        Tok::Value(w.to_string())
                    }
                    _ => Tok::ColumnName(w.to_string()),
                }
            }
        } else {
            i += 1;
            match c {
                b'*' => Tok::Star,
                b',' => Tok::Comma,
                b'(' => Tok::ParenOpen,
                b')' => {
                    if in_list {
                        in_list = false;
                        expect_col = true;
                    }
                    Tok::ParenClose
                }
                b';' => {
                    st = State::End;
                    Tok::Semicolon
                }
                b'=' => {
                    expect_col = false;
                    Tok::Eq
                }
                b'!' if i < b.len() && b[i] == b'=' => {
                    i += 1;
                    expect_col = false;
                    Tok::Ne
                }
                b'<' if i < b.len() && b[i] == b'=' => {
                    i += 1;
                    expect_col = false;
                    Tok::Le
                }
                b'>' if i < b.len() && b[i] == b'=' => {
                    i += 1;
                    expect_col = false;
                    Tok::Ge
                }
                b'<' => {
                    expect_col = false;
                    Tok::Lt
                }
                b'>' => {
                    expect_col = false;
                    Tok::Gt
                }
                _ => {
                    out.push(Err(()));
                    return out;
                }
            }
        };
        let _ = st == State::End;
        out.push(Ok(Lexed {
            tok,
            text: q[start..i].to_string(),
        }));
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    Like,
}

impl Op {
    pub fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Ge => ">=",
            Op::In => "IN",
            Op::Like => "LIKE",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cond {
    pub field: String,
    pub op: Op,
    /// Value tokens exactly as written (quoted literals keep their quotes).
    pub values: Vec<String>,
    /// `AND` / `OR` joining this condition to the previous one.
    pub glue: Option<&'static str>,
}

#[derive(Clone, Debug, Default)]
pub struct Query {
    pub count: bool,
    pub star: bool,
    pub columns: Vec<String>,
    pub module: String,
    pub conds: Vec<Cond>,
    pub order_by: Vec<String>,
    pub desc: Option<bool>,
    pub limit: Option<(Option<u64>, u64)>,
}

struct P {
    toks: Vec<Result<Lexed, ()>>,
    pos: usize,
}

const NO_MORE: &str = "End of Input(0)";

impl P {
    fn peek(&self) -> Option<&Result<Lexed, ()>> {
        self.toks.get(self.pos)
    }
    fn err(&self, expected: &str) -> VtqlError {
        match self.peek() {
            Some(Err(())) => VtqlError::Lexer,
            Some(Ok(l)) => VtqlError::Syntax(format!(
                "Syntax Error on line 1: token '{}' Unexpected {}({}), expected one of: {}",
                l.text,
                l.tok.kind(),
                l.text,
                expected
            )),
            None => {
                let last = self
                    .toks
                    .last()
                    .and_then(|t| t.as_ref().ok())
                    .map(|l| l.text.clone())
                    .unwrap_or_default();
                VtqlError::Syntax(format!(
                    "Syntax Error on line 1: token '{last}' Unexpected {NO_MORE}, expected one of: {expected}"
                ))
            }
        }
    }
    fn next_if(&mut self, f: impl Fn(&Tok) -> bool) -> Option<Lexed> {
        match self.peek() {
            Some(Ok(l)) if f(&l.tok) => {
                let l = l.clone();
                self.pos += 1;
                Some(l)
            }
            _ => None,
        }
    }
}

/// Parses a VTQL statement (the trailing `;` is mandatory and nothing may follow it).
pub fn parse(q: &str) -> Result<Query, VtqlError> {
    let mut p = P {
        toks: lex(q),
        pos: 0,
    };
    let mut out = Query::default();
    p.next_if(|t| *t == Tok::Select)
        .ok_or_else(|| p.err("SELECT"))?;
    // select list
    if p.next_if(|t| *t == Tok::Star).is_some() {
        out.star = true;
    } else {
        loop {
            if p.next_if(|t| *t == Tok::Count).is_some() {
                p.next_if(|t| *t == Tok::ParenOpen)
                    .ok_or_else(|| p.err("PARENOPEN"))?;
                p.next_if(|t| *t == Tok::Star)
                    .ok_or_else(|| p.err("STAR"))?;
                p.next_if(|t| *t == Tok::ParenClose)
                    .ok_or_else(|| p.err("PARENCLOSE"))?;
                out.count = true;
            } else {
                let c = p
                    .next_if(|t| matches!(t, Tok::ColumnName(_)))
                    .ok_or_else(|| p.err("COLUMNNAME,STAR,COUNT"))?;
                out.columns.push(c.text);
            }
            if p.next_if(|t| *t == Tok::Comma).is_none() {
                break;
            }
        }
    }
    p.next_if(|t| *t == Tok::From)
        .ok_or_else(|| p.err("COMMA,FROM"))?;
    let m = p
        .next_if(|t| matches!(t, Tok::TableName(_)))
        .ok_or_else(|| p.err("TABLENAME"))?;
    out.module = m.text;
    if p.next_if(|t| *t == Tok::Where).is_some() {
        let mut glue = None;
        loop {
            let col = p
                .next_if(|t| matches!(t, Tok::ColumnName(_)))
                .ok_or_else(|| p.err("COLUMNNAME"))?;
            let op = match p.peek() {
                Some(Ok(l)) => match l.tok {
                    Tok::Eq => Op::Eq,
                    Tok::Ne => Op::Ne,
                    Tok::Lt => Op::Lt,
                    Tok::Gt => Op::Gt,
                    Tok::Le => Op::Le,
                    Tok::Ge => Op::Ge,
                    Tok::In => Op::In,
                    Tok::Like => Op::Like,
                    _ => return Err(p.err("EQ,LT,GT,LTE,GTE,NE,IN,LIKE")),
                },
                _ => return Err(p.err("EQ,LT,GT,LTE,GTE,NE,IN,LIKE")),
            };
            p.pos += 1;
            let mut values = Vec::new();
            let paren = p.next_if(|t| *t == Tok::ParenOpen).is_some();
            loop {
                let v = p
                    .next_if(|t| matches!(t, Tok::Value(_)))
                    .ok_or_else(|| p.err("VALUE"))?;
                values.push(v.text);
                if (paren || op == Op::In) && p.next_if(|t| *t == Tok::Comma).is_some() {
                    continue;
                }
                break;
            }
            if paren {
                p.next_if(|t| *t == Tok::ParenClose)
                    .ok_or_else(|| p.err("COMMA,PARENCLOSE"))?;
            }
            out.conds.push(Cond {
                field: col.text,
                op,
                values,
                glue,
            });
            if p.next_if(|t| *t == Tok::And).is_some() {
                glue = Some("AND");
            } else if p.next_if(|t| *t == Tok::Or).is_some() {
                glue = Some("OR");
            } else {
                break;
            }
        }
    }
    if p.next_if(|t| *t == Tok::OrderBy).is_some() {
        loop {
            let c = p
                .next_if(|t| matches!(t, Tok::ColumnName(_)))
                .ok_or_else(|| p.err("COLUMNNAME"))?;
            out.order_by.push(c.text);
            if p.next_if(|t| *t == Tok::Comma).is_none() {
                break;
            }
        }
        if p.next_if(|t| *t == Tok::Asc).is_some() {
            out.desc = Some(false);
        } else if p.next_if(|t| *t == Tok::Desc).is_some() {
            out.desc = Some(true);
        }
    }
    if p.next_if(|t| *t == Tok::Limit).is_some() {
        let a = p
            .next_if(|t| matches!(t, Tok::Value(_)))
            .ok_or_else(|| p.err("VALUE"))?;
        let a: u64 = a
            .text
            .trim_start_matches('+')
            .parse()
            .map_err(|_| VtqlError::Lexer)?;
        if p.next_if(|t| *t == Tok::Comma).is_some() {
            let b = p
                .next_if(|t| matches!(t, Tok::Value(_)))
                .ok_or_else(|| p.err("VALUE"))?;
            let b: u64 = b
                .text
                .trim_start_matches('+')
                .parse()
                .map_err(|_| VtqlError::Lexer)?;
            out.limit = Some((Some(a), b));
            // Recorded quirk of Vtiger's parser (911): after `LIMIT m, n` a WHERE token is taken
            // in, and the syntax error names the token after it (`token 'id' … expected one of:
            // SEMICOLON`), where `LIMIT n WHERE` fails on the WHERE itself (715).
            let at = p.pos;
            if p.next_if(|t| *t == Tok::Where).is_some()
                && matches!(
                    p.peek(),
                    None | Some(Ok(Lexed {
                        tok: Tok::Semicolon,
                        ..
                    }))
                )
            {
                p.pos = at;
                return Err(p.err("SEMICOLON"));
            }
        } else {
            out.limit = Some((None, a));
        }
    }
    p.next_if(|t| *t == Tok::Semicolon)
        .ok_or_else(|| p.err("SEMICOLON"))?;
    if p.peek().is_some() {
        return Err(p.err(""));
    }
    Ok(out)
}

/// Vtiger's module lookup: `from\s+([^\s;]+)`, case-insensitive, first match.
pub fn module_of(q: &str) -> Option<String> {
    let lower = q.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("from") {
        let at = from + p + 4;
        let rest = &q[at..];
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '\x0b', '\x0c']);
        if trimmed.len() < rest.len() {
            let name: String = trimmed
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ';')
                .collect();
            if !name.is_empty() {
                return Some(name);
            }
        }
        from = at;
    }
    None
}

/// Strips the quotes VTQL's id handling trims (`trim($value, "'")`).
pub fn unquote(v: &str) -> &str {
    v.trim_matches('\'')
}

#[cfg(test)]
mod tests {
    use super::parse;

    /// Inside `IN ( … )` every word is a value, as VTQL_Lexer's `$in_started` reads it: the lab's
    /// 8.4.0 answers these with rows (a fuzz find of `vtql_parse`: the simulator called the `000`
    /// after a quoted value a COLUMNNAME and refused what the core renders and the server runs).
    #[test]
    fn bare_values_inside_an_in_list_after_any_value() {
        for q in [
            "SELECT lastname FROM Contacts WHERE lastname IN ('s00', 000);",
            "SELECT lastname FROM Contacts WHERE lastname IN (1, 2, 3);",
            "SELECT lastname FROM Contacts WHERE lastname IN ('a', -1, 'b') AND firstname = 'x';",
        ] {
            parse(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
        }
        // after `)` the next word is a column again
        assert!(
            parse("SELECT lastname FROM Contacts WHERE lastname IN (1) 'x' = firstname;").is_err()
        );
    }
}
