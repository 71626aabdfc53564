//! A POST operation sent as `multipart/form-data` with one file part: how Vtiger takes file
//! content (live findings F: a Documents create stores a file only from a multipart body whose
//! file part is named `filename`, recordings 925, 936; update and revise replace the file the
//! same way).
//!
//! The core builds the whole body except the file's bytes, which stay with the host (they
//! never enter the wasm memory): the request's body is the text before the bytes followed by
//! the text after them, and `at` says where the host inserts the bytes. Layout (RFC 7578):
//!
//! ```text
//! --B\r\nContent-Disposition: form-data; name="operation"\r\n\r\ncreate\r\n
//! --B\r\nContent-Disposition: form-data; name="sessionName"\r\n\r\n<session>\r\n
//! …one text part per parameter, in order…
//! --B\r\nContent-Disposition: form-data; name="filename"; filename="<name>"\r\nContent-Type: <type>\r\n\r\n
//! <the file's bytes: inserted by the host at `at`>
//! \r\n--B--\r\n
//! ```
//!
//! `B` is `crmwire-` and 32 hex digits drawn from the driver's seeded source; one that occurs
//! in a text part is drawn again. In the file name `"`, CR and LF are written `%22`, `%0D`,
//! `%0A` (the WHATWG form encoding); PHP does not decode them, and Vtiger then replaces `%`
//! by `_` (`sanitizeUploadFileName`, recording 936).

// `crate::Error` is deliberately rich (code, status, operation, field, snippet).
#![allow(clippy::result_large_err)]

use crate::prelude::*;

use super::{Call, Endpoint};
use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpRequest, Method};
use crate::secret::Secret;
use crate::step::Rng;
use crate::vtiger::fields::Upload;

/// The request for `call` (a POST operation) as multipart with the file part `field`, and the
/// byte offset in its body where the host inserts the file's bytes. The session and
/// parameter checks are those of [`Call::to_request`].
pub fn multipart_request(
    call: &Call,
    ep: &Endpoint,
    session: Option<&Secret>,
    field: &str,
    upload: &Upload,
    rng: &mut Rng,
) -> Result<(HttpRequest, usize)> {
    let op = &call.operation;
    let with_op = |e: Error| e.with_operation(op.clone());
    if call.method != Method::Post {
        return Err(with_op(Error::invalid_input(
            "file",
            cat!(
                "operation '",
                op,
                "' is a GET operation: it cannot carry a file"
            ),
        )));
    }
    call.check_params().map_err(with_op)?;
    let mut texts: Vec<(&str, &str)> = vec![("operation", op)];
    if call.needs_session {
        match session {
            Some(s) if !s.is_empty() => texts.push(("sessionName", s.expose())),
            _ => {
                return Err(with_op(Error::new(
                    ErrorCode::AuthenticationRequired,
                    cat!("operation '", op, "' needs a session: log in first"),
                )))
            }
        }
    }
    texts.extend(call.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let boundary = loop {
        let b = cat!(
            "crmwire-",
            crate::text::Hex(rng.next_u64(), 16),
            crate::text::Hex(rng.next_u64(), 16)
        );
        let clash = |s: &str| s.as_bytes().windows(b.len()).any(|w| w == b.as_bytes());
        if !texts.iter().any(|(k, v)| clash(k) || clash(v)) && !clash(&upload.name) {
            break b;
        }
    };
    let mut body = String::new();
    for (k, v) in &texts {
        body.push_str("--");
        body.push_str(&boundary);
        body.push_str("\r\nContent-Disposition: form-data; name=\"");
        body.push_str(&escape(k));
        body.push_str("\"\r\n\r\n");
        body.push_str(v);
        body.push_str("\r\n");
    }
    body.push_str("--");
    body.push_str(&boundary);
    body.push_str("\r\nContent-Disposition: form-data; name=\"");
    body.push_str(&escape(field));
    body.push_str("\"; filename=\"");
    body.push_str(&escape(&upload.name));
    body.push_str("\"\r\nContent-Type: ");
    body.push_str(&upload.content_type);
    body.push_str("\r\n\r\n");
    let at = body.len();
    body.push_str("\r\n--");
    body.push_str(&boundary);
    body.push_str("--\r\n");
    let headers = vec![
        ("Accept".to_owned(), "application/json".to_owned()),
        (
            "Content-Type".to_owned(),
            cat!("multipart/form-data; boundary=", boundary),
        ),
    ];
    Ok((
        HttpRequest {
            method: Method::Post,
            url: ep.url().to_owned(),
            headers,
            body: Some(body.into_bytes()),
        },
        at,
    ))
}

/// A name in a `Content-Disposition` header: `"`, CR and LF percent-encoded (WHATWG).
fn escape(s: &str) -> alloc::borrow::Cow<'_, str> {
    if !s.contains(['"', '\r', '\n']) {
        return s.into();
    }
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .into()
}
