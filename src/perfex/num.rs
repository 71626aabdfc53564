//! Number text checks without core's float parser.
//!
//! `str::parse::<f64>` links core's `dec2flt` (about 15 KB of wasm: code plus a
//! 10 KB power-of-five table). Perfex only asks three questions of a number's text: is it
//! zero (PHP's `empty()`), is it positive, and what is its ceiling as a `u64` (paging meta).
//! [`scan`] reads exactly the grammar `parse::<f64>` accepts and [`Fin::class`] tells zero,
//! finite and overflow apart the way the float conversion rounds (a value at or below
//! 2^-1075 becomes 0.0, one at or above 2^1024 - 2^970 becomes infinity), so the answers
//! match the float route.

use core::cmp::Ordering;

/// A scanned number: the text `str::parse::<f64>` accepts, not yet converted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dec<'a> {
    /// `nan` in any case, with or without a sign.
    Nan,
    /// `inf` / `infinity` in any case.
    Inf,
    /// Digits with an optional point and exponent.
    Fin(Fin<'a>),
}

/// A finite decimal: `int.frac × 10^exp`, sign apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fin<'a> {
    pub neg: bool,
    int: &'a [u8],
    frac: &'a [u8],
    exp: i64,
}

/// What the float conversion makes of a [`Fin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// 0.0 or -0.0: all digits zero, or below half the smallest subnormal.
    Zero,
    /// A non-zero finite float.
    Finite,
    /// Rounds to infinity.
    Overflow,
}

/// The first 40 significant digits of 2^-1075 (= 0.2470…e-323): at or below it a float is 0.
const UNDER: &[u8] = b"2470328229206232720882843964341106861825";
/// The first 40 significant digits of 2^1024 - 2^970 (= 0.1797…e309): at or above it a
/// float is infinite.
const OVER: &[u8] = b"1797693134862315807937289714053034150799";

fn digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Scans `s` with the grammar of `str::parse::<f64>`:
/// `[+-]? (inf | infinity | nan | (D+ | D+ '.' D* | D* '.' D+) ([eE] [+-]? D+)?)`,
/// letters in any case, no surrounding space. `None` where the parse would fail.
pub(crate) fn scan(s: &str) -> Option<Dec<'_>> {
    let b = s.as_bytes();
    let (neg, b) = match b.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, b),
    };
    if b.eq_ignore_ascii_case(b"inf") || b.eq_ignore_ascii_case(b"infinity") {
        return Some(Dec::Inf);
    }
    if b.eq_ignore_ascii_case(b"nan") {
        return Some(Dec::Nan);
    }
    // `split_at_checked`, not `split_at`: no panic path (and its location string) in the wasm.
    let (int, mut rest) = b.split_at_checked(digits(b))?;
    let mut frac: &[u8] = &[];
    if let Some((b'.', r)) = rest.split_first() {
        (frac, rest) = r.split_at_checked(digits(r))?;
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut exp = 0i64;
    if let Some((b'e' | b'E', r)) = rest.split_first() {
        let (eneg, r) = match r.split_first() {
            Some((b'-', r)) => (true, r),
            Some((b'+', r)) => (false, r),
            _ => (false, r),
        };
        let (ds, after) = r.split_at_checked(digits(r))?;
        if ds.is_empty() {
            return None;
        }
        for &c in ds {
            // Saturates far beyond any float exponent; the digits stay scanned.
            exp = (exp * 10 + i64::from(c - b'0')).min(1 << 40);
        }
        if eneg {
            exp = -exp;
        }
        rest = after;
    }
    rest.is_empty().then_some(Dec::Fin(Fin {
        neg,
        int,
        frac,
        exp,
    }))
}

impl<'a> Fin<'a> {
    fn digit(&self, i: usize) -> u8 {
        match self.int.get(i) {
            Some(&c) => c,
            None => self.frac.get(i - self.int.len()).copied().unwrap_or(b'0'),
        }
    }

    fn len(&self) -> usize {
        self.int.len() + self.frac.len()
    }

    /// The first non-zero digit's index and the decimal point's position `p` such that the
    /// value is `0.d₁d₂… × 10^p`; `None` for zero.
    fn lead(&self) -> Option<(usize, i64)> {
        let k = (0..self.len()).find(|&i| self.digit(i) != b'0')?;
        Some((k, self.int.len() as i64 - k as i64 + self.exp))
    }

    /// Compares the significant digits from index `k` with `lim` (missing digits are zeros).
    fn cmp_digits(&self, k: usize, lim: &[u8]) -> Ordering {
        for (j, &l) in lim.iter().enumerate() {
            match self.digit(k + j).cmp(&l) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        if (k + lim.len()..self.len()).any(|i| self.digit(i) != b'0') {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }

    /// Zero, finite or overflow, as `parse::<f64>` rounds (to nearest, ties to even). Both
    /// limits are irrational-looking decimals cut to 40 digits (each cut is below its limit),
    /// so this is exact but for a value that agrees with a limit in all 40 digits and lies
    /// between the cut and the limit (it is then taken as non-zero / infinite).
    pub(crate) fn class(&self) -> Class {
        let Some((k, p)) = self.lead() else {
            return Class::Zero;
        };
        if p < -323 || (p == -323 && self.cmp_digits(k, UNDER) != Ordering::Greater) {
            Class::Zero
        } else if p > 309 || (p == 309 && self.cmp_digits(k, OVER) == Ordering::Greater) {
            Class::Overflow
        } else {
            Class::Finite
        }
    }

    /// The ceiling of a positive finite value, saturating at `u64::MAX` (like `f64 as u64`).
    /// Exact, where the float route first rounded to 53 bits.
    pub(crate) fn ceil_u64(&self) -> u64 {
        let Some((k, p)) = self.lead() else {
            return 0;
        };
        if p <= 0 {
            return 1;
        }
        if p > 20 {
            return u64::MAX;
        }
        let mut v = 0u64;
        for i in k..k + p as usize {
            let d = u64::from(self.digit(i) - b'0');
            v = match v.checked_mul(10).and_then(|v| v.checked_add(d)) {
                Some(v) => v,
                None => return u64::MAX,
            };
        }
        let fractional = (k + p as usize..self.len()).any(|i| self.digit(i) != b'0');
        v.saturating_add(u64::from(fractional))
    }
}

/// `s.parse::<f64>() == Ok(0.0)` (true for `-0`, `0.000`, `0e5`, `1e-400`).
pub(crate) fn is_zero(s: &str) -> bool {
    matches!(scan(s), Some(Dec::Fin(f)) if f.class() == Class::Zero)
}

/// `s.parse::<f64>().is_ok_and(|x| x > 0.0)`: positive, infinity included.
pub(crate) fn is_positive(s: &str) -> bool {
    match scan(s) {
        Some(Dec::Inf) => !s.starts_with('-'),
        Some(Dec::Fin(f)) => !f.neg && f.class() != Class::Zero,
        _ => false,
    }
}

/// The ceiling of a non-negative finite number (`-0` and values that round to 0 included),
/// saturating at `u64::MAX`; `None` for negative, infinite, NaN or malformed text. Agrees
/// with `s.parse::<f64>().ok().filter(|x| *x >= 0.0 && x.is_finite()).map(|x| x.ceil() as
/// u64)` except that non-integers above 2^52 are no longer rounded to 53 bits first.
pub(crate) fn ceil_u64(s: &str) -> Option<u64> {
    match scan(s)? {
        Dec::Fin(f) => match f.class() {
            Class::Zero => Some(0),
            Class::Finite if !f.neg => Some(f.ceil_u64()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// Inputs around every branch; the float parser is the oracle.
    fn corpus() -> Vec<String> {
        let mut v: Vec<String> = [
            "",
            " ",
            "+",
            "-",
            ".",
            "+.",
            "-.",
            "e",
            "e5",
            ".e1",
            "1e",
            "1e+",
            "1e-",
            "1e+-1",
            "0",
            "-0",
            "+0",
            "00",
            "0.",
            ".0",
            "0.0",
            "-0.0",
            "000.000",
            "0e0",
            "0e999999",
            "0e-999999",
            "1",
            "-1",
            "+1",
            "12",
            "1.5",
            "-1.5",
            ".5",
            "5.",
            "+.5",
            "-5.",
            "0.000001",
            "1e3",
            "1E3",
            "1e+3",
            "1e-3",
            "1.5e2",
            "-1.5E-2",
            "2.5e-1",
            "0.1e1",
            "1.234,56",
            "1,5",
            "1.234.567",
            "1 000",
            " 1",
            "1 ",
            "1_000",
            "0x10",
            "1e3.5",
            "1..2",
            "--1",
            "+-1",
            "-+1",
            "1-",
            "abc",
            "12abc",
            "inf",
            "-inf",
            "+inf",
            "INF",
            "Infinity",
            "-infinity",
            "infinit",
            "infinityy",
            "nan",
            "NaN",
            "-nan",
            "+NAN",
            "nana",
            "in",
            "1e308",
            "1.7e308",
            "1.8e308",
            "1e309",
            "-1e309",
            "1e-300",
            "1e-320",
            "1e-323",
            "2e-324",
            "2.4e-324",
            "2.5e-324",
            "3e-324",
            "1e-324",
            "1e-325",
            "-1e-400",
            "1e-400",
            "1e400",
            "1e99999999999999999999",
            "1e-99999999999999999999",
            "0.0000000000000000000000000000001e-293",
            "100000000000000000000e288",
            "17976931348623157e292",
            "17976931348623158e292",
            "17976931348623159e292",
            "0.17976931348623158e309",
            "179.769313486231580e306",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "0.24703282292062327208828439643411068618250e-323",
            "0.24703282292062327208828439643411068618260e-323",
            "1797693134862315807937289714053034150798e270",
            "1797693134862315807937289714053034150799e270",
            "1797693134862315807937289714053034150800e270",
            "4503599627370495.5",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551615.5",
            "1e19",
            "1e20",
            "1e21",
            "99999999999999999999",
            "0.99",
            "0.000",
            "7",
            "42.0",
            "42.000001",
            "3.0e0",
            "1e-1",
            "0.5e1",
            "0.05e1",
            "123456789012",
            "-0.5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let long_zero = format!("0.{}1", "0".repeat(330));
        v.push(long_zero.clone());
        v.push(format!("-{long_zero}"));
        v.push(format!("0.{}1", "0".repeat(320)));
        v.push(format!("1{}", "0".repeat(308)));
        v.push(format!("1{}", "0".repeat(309)));
        v.push(format!("{}.5", "9".repeat(30)));
        v
    }

    #[test]
    fn scan_accepts_what_the_float_parser_accepts() {
        for s in corpus() {
            let want = s.parse::<f64>();
            let got = scan(&s);
            assert_eq!(got.is_some(), want.is_ok(), "{s:?}");
            match (got, want) {
                (Some(Dec::Nan), Ok(x)) => assert!(x.is_nan(), "{s:?}"),
                (Some(Dec::Inf), Ok(x)) => assert!(x.is_infinite(), "{s:?}"),
                (Some(Dec::Fin(f)), Ok(x)) => {
                    let class = match x {
                        0.0 => Class::Zero,
                        x if x.is_infinite() => Class::Overflow,
                        _ => Class::Finite,
                    };
                    assert_eq!(f.class(), class, "{s:?}");
                    assert_eq!(f.neg, x.is_sign_negative(), "{s:?}");
                }
                _ => {}
            }
        }
    }

    #[test]
    fn zero_positive_and_ceil_match_the_float_route() {
        for s in corpus() {
            let x = s.parse::<f64>().ok();
            assert_eq!(is_zero(&s), x == Some(0.0), "{s:?}");
            assert_eq!(is_positive(&s), x.is_some_and(|x| x > 0.0), "{s:?}");
            let want = x
                .filter(|x| *x >= 0.0 && x.is_finite())
                .map(|x| x.ceil() as u64);
            let got = ceil_u64(&s);
            if want.is_some_and(|w| w > 1 << 52 && w != u64::MAX) {
                // Above 2^52 the float route rounded first; the accept/reject still agrees.
                assert!(got.is_some(), "{s:?}");
            } else {
                assert_eq!(got, want, "{s:?}");
            }
        }
    }

    #[test]
    fn limits_are_exactly_where_the_float_parser_rounds() {
        // One unit in the 40th digit on either side of each limit decides.
        assert_eq!(
            "0.2470328229206232720882843964341106861825e-323".parse::<f64>(),
            Ok(0.0)
        );
        assert!(is_zero("0.2470328229206232720882843964341106861825e-323"));
        assert_ne!(
            "0.2470328229206232720882843964341106861826e-323".parse::<f64>(),
            Ok(0.0)
        );
        assert!(!is_zero("0.2470328229206232720882843964341106861826e-323"));
        assert!("0.1797693134862315807937289714053034150800e309"
            .parse::<f64>()
            .unwrap()
            .is_infinite());
        assert_eq!(
            ceil_u64("0.1797693134862315807937289714053034150800e309"),
            None
        );
        assert!("0.1797693134862315807937289714053034150799e309"
            .parse::<f64>()
            .unwrap()
            .is_finite());
        assert_eq!(
            ceil_u64("0.1797693134862315807937289714053034150799e309"),
            Some(u64::MAX)
        );
    }

    #[test]
    fn pinned_answers() {
        // PHP empty() on JSON numbers.
        for z in ["0", "-0", "0.0", "0.00", "0e10", "-0.0e-5", "1e-400"] {
            assert!(is_zero(z), "{z}");
        }
        for nz in [
            "1", "0.01", "-1", "1e-300", "1.234,56", "abc", "", "nan", "inf",
        ] {
            assert!(!is_zero(nz), "{nz}");
        }
        // Positive decimals (invoice totals).
        assert!(is_positive("10.50"));
        assert!(is_positive("0.01"));
        assert!(!is_positive("0.00"));
        assert!(!is_positive("-3.2"));
        assert!(!is_positive("1.234,56"));
        // Paging meta.
        assert_eq!(ceil_u64("12"), Some(12));
        assert_eq!(ceil_u64("12.0"), Some(12));
        assert_eq!(ceil_u64("2.1"), Some(3));
        assert_eq!(ceil_u64("0.2"), Some(1));
        assert_eq!(ceil_u64("1e3"), Some(1000));
        assert_eq!(ceil_u64("1.5e1"), Some(15));
        assert_eq!(ceil_u64("-0"), Some(0));
        assert_eq!(ceil_u64("-0.5"), None);
        assert_eq!(ceil_u64("1e30"), Some(u64::MAX));
        assert_eq!(ceil_u64("1e400"), None);
        assert_eq!(ceil_u64("inf"), None);
        assert_eq!(ceil_u64("NaN"), None);
        assert_eq!(ceil_u64("1.234,56"), None);
        assert_eq!(ceil_u64("4503599627370496.5"), Some(4_503_599_627_370_497));
    }
}
