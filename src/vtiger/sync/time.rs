//! Datetimes as the Vtiger database writes them (`YYYY-MM-DD HH:MM:SS`, UTC on a stock
//! install) and Unix seconds, both ways, without a clock or a time library.

use crate::prelude::*;
/// Latest accepted time: 9999-12-31 23:59:59 UTC.
pub const MAX_TIME: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Unix seconds → `YYYY-MM-DD HH:MM:SS` (UTC), the DB's datetime format. Values are
/// clamped to `0..=MAX_TIME`.
pub fn unix_to_datetime(secs: i64) -> String {
    let secs = secs.clamp(0, MAX_TIME);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    cat!(
        crate::text::Zero(y, 4),
        "-",
        crate::text::Zero(m, 2),
        "-",
        crate::text::Zero(d, 2),
        " ",
        crate::text::Zero(rem / 3600, 2),
        ":",
        crate::text::Zero(rem % 3600 / 60, 2),
        ":",
        crate::text::Zero(rem % 60, 2)
    )
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) → Unix seconds; `None` unless the text is exactly a valid
/// datetime of that shape from 1970 on (MySQL's zero date included: `None`).
pub fn datetime_to_unix(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: core::ops::Range<usize>| -> Option<i64> {
        let part = &s[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y < 1970 || !(1..=12).contains(&mo) || d < 1 || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][(mo - 1) as usize];
    if d > dim {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}
