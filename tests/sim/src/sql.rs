//! The "MySQL" half of the query path: reads the SQL text that [`crate::vtql`] generated with MySQL's
//! lexical rules (backslash escapes inside strings, `''` doubling, `-- ` and `#` comments) and
//! evaluates the WHERE expression per row with MySQL semantics (AND binds tighter than OR,
//! three-valued logic, case-insensitive string comparison as utf8_general_ci, numeric coercion).

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Num(f64),
    Str(String),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Col {
    Crmid,
    Deleted,
    Field(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Clone, Debug)]
pub enum E {
    Or(Box<E>, Box<E>),
    And(Box<E>, Box<E>),
    Not(Box<E>),
    Cmp(Box<E>, CmpOp, Box<E>),
    In(Box<E>, Vec<E>, bool),
    Like(Box<E>, Box<E>, bool),
    Col(Col),
    Lit(V),
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub expr: E,
    pub order: Vec<(Col, bool)>,
    /// (offset, count); None = no LIMIT (e.g. commented out).
    pub limit: Option<(u64, u64)>,
}

#[derive(Clone, Debug, PartialEq)]
enum T {
    Str(String),
    Num(f64),
    Ident(String),
    Op(&'static str),
}

/// Reads a MySQL quoted string starting at `s[0]` (the quote). Returns (value, bytes consumed).
pub fn mysql_string(s: &str) -> Option<(String, usize)> {
    let q = s.chars().next()?;
    let mut out = String::new();
    let mut it = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = it.next() {
        if c == '\\' {
            let (_, n) = it.next()?;
            match n {
                '0' => out.push('\0'),
                'b' => out.push('\u{8}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'Z' => out.push('\u{1a}'),
                '%' => out.push_str("\\%"),
                '_' => out.push_str("\\_"),
                other => out.push(other),
            }
        } else if c == q {
            if let Some(&(_, n)) = it.peek() {
                if n == q {
                    it.next();
                    out.push(q);
                    continue;
                }
            }
            return Some((out, i + 1));
        } else {
            out.push(c);
        }
    }
    None
}

fn tokenize(s: &str) -> Result<Vec<T>, ()> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#'
            || (c == b'-'
                && i + 1 < b.len()
                && b[i + 1] == b'-'
                && (i + 2 >= b.len() || b[i + 2].is_ascii_whitespace()))
        {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'\'' || c == b'"' {
            let (v, n) = mysql_string(&s[i..]).ok_or(())?;
            out.push(T::Str(v));
            i += n;
        } else if c.is_ascii_digit() {
            let st = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
                // e.g. `12x5`: an identifier starting with digits, unknown column.
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(T::Ident(s[st..i].to_string()));
            } else {
                out.push(T::Num(s[st..i].parse().map_err(|_| ())?));
            }
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'`' {
            let st = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.' || b[i] == b'`')
            {
                i += 1;
            }
            let w = s[st..i].replace('`', "");
            let w = w.rsplit('.').next().unwrap_or("").to_string();
            out.push(T::Ident(w));
        } else {
            let two = match b.get(i..i + 2) {
                Some(t) => std::str::from_utf8(t).unwrap_or(""),
                None => "",
            };
            let op: &'static str = match two {
                "!=" => "!=",
                "<>" => "!=",
                "<=" => "<=",
                ">=" => ">=",
                _ => match c {
                    b'=' => "=",
                    b'<' => "<",
                    b'>' => ">",
                    b'(' => "(",
                    b')' => ")",
                    b',' => ",",
                    b'-' => "-",
                    b'+' => "+",
                    b'!' => "!",
                    _ => return Err(()),
                },
            };
            i += op.len().min(if two.len() == 2 && (two == "<>") {
                2
            } else {
                op.len()
            });
            if two == "<>" {
                i = i.max(i);
            }
            out.push(T::Op(op));
        }
    }
    Ok(out)
}

struct Parser<'a, F: Fn(&str) -> Option<Col>> {
    t: Vec<T>,
    p: usize,
    resolve: &'a F,
}

fn kw(t: Option<&T>, k: &str) -> bool {
    matches!(t, Some(T::Ident(w)) if w.eq_ignore_ascii_case(k))
}

impl<F: Fn(&str) -> Option<Col>> Parser<'_, F> {
    fn peek(&self) -> Option<&T> {
        self.t.get(self.p)
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(T::Op(o)) if *o == op) {
            self.p += 1;
            true
        } else {
            false
        }
    }
    fn eat_kw(&mut self, k: &str) -> bool {
        if kw(self.peek(), k) {
            self.p += 1;
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Result<E, ()> {
        let mut l = self.and()?;
        while self.eat_kw("or") || self.eat_op("||") {
            let r = self.and()?;
            l = E::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<E, ()> {
        let mut l = self.not()?;
        while self.eat_kw("and") {
            let r = self.not()?;
            l = E::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<E, ()> {
        if self.eat_kw("not") || self.eat_op("!") {
            return Ok(E::Not(Box::new(self.not()?)));
        }
        self.pred()
    }
    fn pred(&mut self) -> Result<E, ()> {
        let l = self.primary()?;
        let neg = self.eat_kw("not");
        if self.eat_kw("in") {
            if !self.eat_op("(") {
                return Err(());
            }
            let mut xs = vec![self.primary()?];
            while self.eat_op(",") {
                xs.push(self.primary()?);
            }
            if !self.eat_op(")") {
                return Err(());
            }
            return Ok(E::In(Box::new(l), xs, neg));
        }
        if self.eat_kw("like") {
            let r = self.primary()?;
            return Ok(E::Like(Box::new(l), Box::new(r), neg));
        }
        if neg {
            return Err(());
        }
        let op = match self.peek() {
            Some(T::Op("=")) => CmpOp::Eq,
            Some(T::Op("!=")) => CmpOp::Ne,
            Some(T::Op("<")) => CmpOp::Lt,
            Some(T::Op(">")) => CmpOp::Gt,
            Some(T::Op("<=")) => CmpOp::Le,
            Some(T::Op(">=")) => CmpOp::Ge,
            _ => return Ok(l),
        };
        self.p += 1;
        let r = self.primary()?;
        Ok(E::Cmp(Box::new(l), op, Box::new(r)))
    }
    fn primary(&mut self) -> Result<E, ()> {
        match self.peek().cloned() {
            Some(T::Str(s)) => {
                self.p += 1;
                Ok(E::Lit(V::Str(s)))
            }
            Some(T::Num(n)) => {
                self.p += 1;
                Ok(E::Lit(V::Num(n)))
            }
            Some(T::Op("-")) => {
                self.p += 1;
                match self.primary()? {
                    E::Lit(V::Num(n)) => Ok(E::Lit(V::Num(-n))),
                    _ => Err(()),
                }
            }
            Some(T::Op("+")) => {
                self.p += 1;
                self.primary()
            }
            Some(T::Op("(")) => {
                self.p += 1;
                let e = self.or()?;
                if !self.eat_op(")") {
                    return Err(());
                }
                Ok(e)
            }
            Some(T::Ident(w)) => {
                let lw = w.to_ascii_lowercase();
                if matches!(
                    lw.as_str(),
                    "and" | "or" | "not" | "in" | "like" | "order" | "limit"
                ) {
                    return Err(());
                }
                self.p += 1;
                if lw == "null" {
                    return Ok(E::Lit(V::Null));
                }
                if lw == "true" {
                    return Ok(E::Lit(V::Num(1.0)));
                }
                if lw == "false" {
                    return Ok(E::Lit(V::Num(0.0)));
                }
                (self.resolve)(&w).map(E::Col).ok_or(())
            }
            _ => Err(()),
        }
    }
}

/// Parses `<where-expr> [ORDER BY c [ASC|DESC], …] [LIMIT a[, b]]`. Any error (syntax, unknown
/// column) is an SQL error, which Vtiger's `query` swallows (success with `[]`).
#[allow(clippy::result_unit_err)]
pub fn parse(sql: &str, resolve: &impl Fn(&str) -> Option<Col>) -> Result<Plan, ()> {
    let t = tokenize(sql)?;
    let mut p = Parser { t, p: 0, resolve };
    let expr = p.or()?;
    let mut order = Vec::new();
    if p.eat_kw("order") {
        if !p.eat_kw("by") {
            return Err(());
        }
        loop {
            let c = match p.primary()? {
                E::Col(c) => c,
                _ => return Err(()),
            };
            let desc = if p.eat_kw("desc") {
                true
            } else {
                p.eat_kw("asc");
                false
            };
            order.push((c, desc));
            if !p.eat_op(",") {
                break;
            }
        }
    }
    let mut limit = None;
    if p.eat_kw("limit") {
        let a = match p.peek() {
            Some(T::Num(n)) => *n as u64,
            _ => return Err(()),
        };
        p.p += 1;
        if p.eat_op(",") {
            let b = match p.peek() {
                Some(T::Num(n)) => *n as u64,
                _ => return Err(()),
            };
            p.p += 1;
            limit = Some((a, b));
        } else {
            limit = Some((0, a));
        }
    }
    if p.peek().is_some() {
        return Err(());
    }
    Ok(Plan { expr, order, limit })
}

fn to_num(s: &str) -> f64 {
    let s = s.trim_start();
    let mut end = 0;
    let b = s.as_bytes();
    let mut seen_dot = false;
    while end < b.len() {
        let c = b[end];
        if c.is_ascii_digit() || (end == 0 && (c == b'-' || c == b'+')) || (c == b'.' && !seen_dot)
        {
            seen_dot |= c == b'.';
            end += 1;
        } else {
            break;
        }
    }
    s[..end].parse().unwrap_or(0.0)
}

/// utf8_general_ci comparison with PAD SPACE: case-insensitive, and the shorter string compared
/// as if padded with spaces (`'a' = 'a  '`, but `'a' < 'a b'`).
pub fn ci_cmp(a: &str, b: &str) -> Ordering {
    let mut x = a.chars().flat_map(char::to_lowercase);
    let mut y = b.chars().flat_map(char::to_lowercase);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(c)) => {
                return std::iter::once(c)
                    .chain(y)
                    .map(|c| ' '.cmp(&c))
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            }
            (Some(c), None) => {
                return std::iter::once(c)
                    .chain(x)
                    .map(|c| c.cmp(&' '))
                    .find(|o| *o != Ordering::Equal)
                    .unwrap_or(Ordering::Equal)
            }
            (Some(c), Some(d)) => match c.cmp(&d) {
                Ordering::Equal => {}
                o => return o,
            },
        }
    }
}

pub fn cmp_v(a: &V, b: &V) -> Option<Ordering> {
    match (a, b) {
        (V::Null, _) | (_, V::Null) => None,
        (V::Num(x), V::Num(y)) => x.partial_cmp(y),
        (V::Num(x), V::Str(s)) => x.partial_cmp(&to_num(s)),
        (V::Str(s), V::Num(y)) => to_num(s).partial_cmp(y),
        (V::Str(x), V::Str(y)) => Some(ci_cmp(x, y)),
    }
}

fn v_str(v: &V) -> Option<String> {
    match v {
        V::Null => None,
        V::Num(n) => Some(if n.fract() == 0.0 {
            format!("{}", *n as i64)
        } else {
            n.to_string()
        }),
        V::Str(s) => Some(s.clone()),
    }
}

/// MySQL LIKE, case-insensitive: `%` any run, `_` one character, `\` escapes the next character
/// (a trailing `\` is itself). The pattern arrives as MySQL's string reader left it, so a VTQL
/// `'\\%'` is the pattern `\%`, a literal `%` (recorded 916–919).
///
/// Greedy matching with one backtrack point (the last `%`): O(|s|·|pattern|) at worst, never
/// exponential, whatever the number of `%`.
pub fn like(s: &str, pat: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let s: Vec<char> = s.chars().flat_map(char::to_lowercase).collect();
    let mut p = Vec::new();
    let mut it = pat.chars().flat_map(char::to_lowercase).peekable();
    while let Some(c) = it.next() {
        p.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => P::Lit(it.next().unwrap_or('\\')),
            c => P::Lit(c),
        });
    }
    let (mut i, mut j) = (0, 0);
    let mut back: Option<(usize, usize)> = None; // (pattern index after the last %, text index)
    while i < s.len() {
        match p.get(j) {
            Some(P::One) => {
                i += 1;
                j += 1;
            }
            Some(P::Lit(c)) if *c == s[i] => {
                i += 1;
                j += 1;
            }
            Some(P::Any) => {
                j += 1;
                back = Some((j, i));
            }
            _ => match back {
                Some((pj, si)) => {
                    j = pj;
                    i = si + 1;
                    back = Some((pj, si + 1));
                }
                None => return false,
            },
        }
    }
    p[j..].iter().all(|x| *x == P::Any)
}

pub fn eval(e: &E, get: &impl Fn(Col) -> V) -> V {
    fn b(x: Option<bool>) -> V {
        match x {
            None => V::Null,
            Some(t) => V::Num(if t { 1.0 } else { 0.0 }),
        }
    }
    fn truth(v: &V) -> Option<bool> {
        match v {
            V::Null => None,
            V::Num(n) => Some(*n != 0.0),
            V::Str(s) => Some(to_num(s) != 0.0),
        }
    }
    match e {
        E::Lit(v) => v.clone(),
        E::Col(c) => get(*c),
        E::Not(x) => b(truth(&eval(x, get)).map(|t| !t)),
        E::And(l, r) => {
            let a = truth(&eval(l, get));
            if a == Some(false) {
                return b(Some(false));
            }
            let c = truth(&eval(r, get));
            b(match (a, c) {
                (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            })
        }
        E::Or(l, r) => {
            let a = truth(&eval(l, get));
            if a == Some(true) {
                return b(Some(true));
            }
            let c = truth(&eval(r, get));
            b(match (a, c) {
                (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            })
        }
        E::Cmp(l, op, r) => {
            let o = cmp_v(&eval(l, get), &eval(r, get));
            b(o.map(|o| match op {
                CmpOp::Eq => o == Ordering::Equal,
                CmpOp::Ne => o != Ordering::Equal,
                CmpOp::Lt => o == Ordering::Less,
                CmpOp::Gt => o == Ordering::Greater,
                CmpOp::Le => o != Ordering::Greater,
                CmpOp::Ge => o != Ordering::Less,
            }))
        }
        E::In(l, xs, neg) => {
            let v = eval(l, get);
            if v == V::Null {
                return V::Null;
            }
            let hit = xs
                .iter()
                .any(|x| cmp_v(&v, &eval(x, get)) == Some(Ordering::Equal));
            b(Some(hit != *neg))
        }
        E::Like(l, r, neg) => {
            let (v, p) = (eval(l, get), eval(r, get));
            match (v_str(&v), v_str(&p)) {
                (Some(s), Some(p)) => b(Some(like(&s, &p) != *neg)),
                _ => V::Null,
            }
        }
    }
}

pub fn matches(e: &E, get: &impl Fn(Col) -> V) -> bool {
    match eval(e, get) {
        V::Num(n) => n != 0.0,
        V::Str(s) => to_num(&s) != 0.0,
        V::Null => false,
    }
}

/// Inclusive crmid bounds implied by the top-level AND chain (for range scans).
pub fn crmid_bounds(e: &E) -> (u64, u64) {
    let mut lo = 0u64;
    let mut hi = u64::MAX;
    fn walk(e: &E, lo: &mut u64, hi: &mut u64) {
        match e {
            E::And(l, r) => {
                walk(l, lo, hi);
                walk(r, lo, hi);
            }
            E::Cmp(l, op, r) => {
                if let (E::Col(Col::Crmid), E::Lit(V::Num(n))) = (&**l, &**r) {
                    let n = *n;
                    if n < 0.0 || n.fract() != 0.0 {
                        return;
                    }
                    let n = n as u64;
                    match op {
                        CmpOp::Eq => {
                            *lo = (*lo).max(n);
                            *hi = (*hi).min(n);
                        }
                        CmpOp::Gt => *lo = (*lo).max(n.saturating_add(1)),
                        CmpOp::Ge => *lo = (*lo).max(n),
                        CmpOp::Lt => *hi = (*hi).min(n.saturating_sub(1)),
                        CmpOp::Le => *hi = (*hi).min(n),
                        CmpOp::Ne => {}
                    }
                }
            }
            _ => {}
        }
    }
    walk(e, &mut lo, &mut hi);
    (lo, hi)
}
