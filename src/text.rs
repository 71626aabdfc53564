//! Text without `core::fmt` (issue 13): `format!`, `to_string()` and `write!` go through
//! `core::fmt` (its `write`, `Formatter::pad_integral`, the `Display` impls: about 7 KB of the
//! shipped wasm), so the library composes its messages, URLs and queries with these instead:
//!
//! * `cat!(a, b, …)`: a new `String` of the pieces in order (`format!("{a}{b}…")`);
//! * `cat_to!(out; a, b, …)`: appends them to `out: &mut String`;
//! * a piece is anything [`Piece`]: `str`, `String`, `Cow<str>`, `char`, the integers (decimal),
//!   [`Zero`] (zero-padded decimal, `{:02}`), [`Hex`] (`{:016x}`, `{:02X}`), and the crate's
//!   own `WsId`, `ErrorCode`, `Method`, `CrmCode`, `JsonError` (their `Display` impls, kept for
//!   native callers, print the same text through [`Piece`]).
//!
//! `make test` fails when any `core::fmt` function is in a shipped module
//! (tests/js/tools/fmt-check.mjs).

use crate::prelude::*;
use alloc::borrow::Cow;

/// Something that appends its text to a `String` without `core::fmt`.
pub trait Piece {
    /// Appends the text.
    fn push_to(&self, out: &mut String);

    /// The text as a new `String` (what `to_string()` gave, without `core::fmt`).
    fn text(&self) -> String {
        let mut s = String::new();
        self.push_to(&mut s);
        s
    }
}

/// A new `String` of the pieces in order: `cat!("id ", id, " is ", n)`.
macro_rules! cat {
    ($($e:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut s = $crate::prelude::String::new();
        $( $crate::text::Piece::push_to(&$e, &mut s); )*
        s
    }};
}

/// Appends the pieces to `out` (a `&mut String`): `cat_to!(&mut q; " LIMIT ", n)`.
macro_rules! cat_to {
    ($out:expr; $($e:expr),* $(,)?) => {{
        let o: &mut $crate::prelude::String = $out;
        $( $crate::text::Piece::push_to(&$e, o); )*
    }};
}

impl Piece for str {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for String {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for Cow<'_, str> {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for char {
    fn push_to(&self, out: &mut String) {
        out.push(*self);
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn push_to(&self, out: &mut String) {
        (**self).push_to(out);
    }
}

impl<T: Piece + ?Sized> Piece for &mut T {
    fn push_to(&self, out: &mut String) {
        (**self).push_to(out);
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn push_to(&self, out: &mut String) {
                push_digits(out, u64::from(*self), 10, 1, false);
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64);

impl Piece for usize {
    fn push_to(&self, out: &mut String) {
        // usize is at most 64 bits on every target the crate builds for.
        push_digits(out, *self as u64, 10, 1, false);
    }
}

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn push_to(&self, out: &mut String) {
                if *self < 0 {
                    out.push('-');
                }
                push_digits(out, i64::from(*self).unsigned_abs(), 10, 1, false);
            }
        }
    )*};
}
signed!(i32, i64);

/// A number in decimal, zero-padded to at least `.1` characters, a minus sign included
/// (`format!("{:04}", n)`: `-005`).
#[derive(Clone, Copy)]
pub struct Zero(pub i64, pub usize);

impl Piece for Zero {
    fn push_to(&self, out: &mut String) {
        let mut width = self.1;
        if self.0 < 0 {
            out.push('-');
            width = width.saturating_sub(1);
        }
        push_digits(out, self.0.unsigned_abs(), 10, width, false);
    }
}

/// A number in lower-case hex, zero-padded to at least `.1` digits (`format!("{:016x}", n)`).
#[derive(Clone, Copy)]
pub struct Hex(pub u64, pub usize);

impl Piece for Hex {
    fn push_to(&self, out: &mut String) {
        push_digits(out, self.0, 16, self.1, false);
    }
}

/// A number in upper-case hex, zero-padded to at least `.1` digits (`format!("{:02X}", n)`).
#[derive(Clone, Copy)]
pub struct HexUpper(pub u64, pub usize);

impl Piece for HexUpper {
    fn push_to(&self, out: &mut String) {
        push_digits(out, self.0, 16, self.1, true);
    }
}

/// Appends `n` in base 10 or 16, at least `width` digits (zeros in front).
fn push_digits(out: &mut String, mut n: u64, base: u64, width: usize, upper: bool) {
    // u64::MAX has 20 decimal digits; the buffer is filled from the end.
    let mut buf = [b'0'; 20];
    let mut len = 0;
    for slot in buf.iter_mut().rev() {
        // `n % base` < 16.
        let d = (n % base) as u8;
        *slot = match d {
            0..=9 => b'0' + d,
            _ if upper => b'A' + d - 10,
            _ => b'a' + d - 10,
        };
        len += 1;
        n /= base;
        if n == 0 {
            break;
        }
    }
    for _ in len..width {
        out.push('0');
    }
    out.extend(buf.iter().skip(buf.len() - len).map(|&b| char::from(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_what_format_gives() {
        for n in [
            0u64,
            1,
            9,
            10,
            99,
            100,
            12345,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(cat!(n), format!("{n}"));
            assert_eq!(cat!(Hex(n, 16)), format!("{n:016x}"));
            assert_eq!(cat!(Hex(n, 2)), format!("{n:02x}"));
            assert_eq!(cat!(HexUpper(n, 2)), format!("{n:02X}"));
            if let Ok(u) = usize::try_from(n) {
                assert_eq!(cat!(u), format!("{u}"));
            }
        }
        for n in [
            0i64,
            1,
            -1,
            5,
            -5,
            42,
            -42,
            12345,
            -12345,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            assert_eq!(cat!(n), format!("{n}"));
            assert_eq!(cat!(Zero(n, 4)), format!("{n:04}"));
            assert_eq!(cat!(Zero(n, 2)), format!("{n:02}"));
            assert_eq!(cat!(Zero(n, 1)), format!("{n}"));
        }
        for n in [0i32, -7, i32::MAX, i32::MIN] {
            assert_eq!(cat!(n), format!("{n}"));
        }
        for n in [0u8, 7, 255] {
            assert_eq!(cat!(n, ':', HexUpper(n.into(), 2)), format!("{n}:{n:02X}"));
        }
        assert_eq!(
            cat!(u16::MAX, '/', u32::MAX),
            format!("{}/{}", u16::MAX, u32::MAX)
        );
    }

    #[test]
    fn pieces_concatenate_in_order() {
        let s = String::from("b");
        let c: Cow<'_, str> = Cow::Borrowed("c");
        assert_eq!(cat!("a", s, c, 'é', 1u32, -2i64), "abcé1-2");
        assert_eq!(cat!(), "");
        let mut out = String::from(">");
        let r = &mut out;
        cat_to!(r; "x", 5usize);
        cat_to!(r; '!');
        assert_eq!(out, ">x5!");
    }
}
