//! `split_select`: a query too long for a GET cut on its longest `IN (…)` list into parts
//! that each fit (the driver sends the parts and merges the answers by id).

// `crmwire::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crmwire::error::ErrorCode;
use crmwire::vtiger::split::split_select;
use crmwire::vtiger::vtql::Select;

fn fits_under(limit: usize) -> impl Fn(&Select) -> crmwire::Result<bool> {
    move |s: &Select| Ok(s.render()?.len() <= limit)
}

fn names(n: usize) -> String {
    (0..n)
        .map(|i| format!("\"Name{i:04}\""))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn a_query_that_fits_is_not_split() {
    let s = Select::from_spec_text(&format!(
        r#"{{"module":"Contacts","where":{{"field":"lastname","op":"in","value":[{}]}}}}"#,
        names(10)
    ))
    .unwrap();
    assert!(split_select(&s, &fits_under(8192)).unwrap().is_none());
}

#[test]
fn a_long_in_list_is_cut_into_fitting_parts_keeping_every_value_once_in_order() {
    let s = Select::from_spec_text(&format!(
        r#"{{"module":"Contacts","fields":["lastname"],"where":[[{{"field":"lastname","op":"in","value":[{}]}},{{"field":"mailingcity","value":"Paris"}}]]}}"#,
        names(1000)
    ))
    .unwrap();
    let parts = split_select(&s, &fits_under(2000)).unwrap().unwrap();
    // ~12 bytes per value, ~12,000 bytes of list: 7 maximal parts of 2,000 bytes.
    assert!((7..=8).contains(&parts.len()), "{} parts", parts.len());
    let mut seen = Vec::new();
    for p in &parts {
        let q = p.render().unwrap();
        assert!(q.len() <= 2000, "{}", q.len());
        assert!(q.contains("AND mailingcity = 'Paris'"), "{q}");
        for i in 0..1000 {
            if q.contains(&format!("'Name{i:04}'")) {
                seen.push(i);
            }
        }
    }
    assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    // Parts are maximal: a part plus the next part's first value would not fit.
    for w in parts.windows(2) {
        let (a, b) = (w[0].render().unwrap(), w[1].render().unwrap());
        let next = b
            .split("IN (")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .trim_end_matches(')');
        let grown = a.replacen(") AND", &format!(", {next}) AND"), 1);
        assert!(grown.len() > 2000, "{} + {next} would fit", a.len());
    }
}

#[test]
fn unsplittable_long_queries_are_refused_with_the_reason() {
    let long = names(1000);
    let cases = [
        (
            format!(
                r#"{{"module":"Contacts","where":[[{{"field":"lastname","op":"in","value":[{long}]}}],[{{"field":"firstname","value":"x"}}]]}}"#
            ),
            "OR between groups",
        ),
        (
            format!(
                r#"{{"module":"Contacts","orderBy":"lastname","where":{{"field":"lastname","op":"in","value":[{long}]}}}}"#
            ),
            "ORDER BY",
        ),
        (
            format!(
                r#"{{"module":"Contacts","limit":5,"where":{{"field":"lastname","op":"in","value":[{long}]}}}}"#
            ),
            "LIMIT",
        ),
        (
            format!(
                r#"{{"module":"Contacts","count":true,"where":{{"field":"lastname","op":"in","value":[{long}]}}}}"#
            ),
            "count(*)",
        ),
        (
            format!(
                r#"{{"module":"Contacts","where":{{"field":"lastname","value":"{}"}}}}"#,
                "x".repeat(3000)
            ),
            "no IN list",
        ),
    ];
    for (spec, why) in cases {
        let s = Select::from_spec_text(&spec).unwrap();
        let e = split_select(&s, &fits_under(2000)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("query"));
        assert!(e.message.contains(why), "{why}: {}", e.message);
    }
    // One value too long with the rest of the condition.
    let s = Select::from_spec_text(&format!(
        r#"{{"module":"Contacts","where":[[{{"field":"lastname","op":"in","value":["a","b"]}},{{"field":"firstname","value":"{}"}}]]}}"#,
        "y".repeat(3000)
    ))
    .unwrap();
    let e = split_select(&s, &fits_under(2000)).unwrap_err();
    assert!(e.message.contains("one IN value"), "{}", e.message);
}
