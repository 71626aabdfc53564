//! One error type for both CRMs, with stable SCREAMING_SNAKE codes.
//!
//! The server's own code is kept in [`Error::crm_code`] (a string, or the integer `0` that
//! Vtiger's duplicate check sends). [`Error::code`] is the stable client-side code: the
//! server's code where it is a known one, `DUPLICATE` for the integer `0`, an unknown server
//! code passed through unchanged, or one of the client's own codes.
//!
//! Messages never contain access keys, session names or tokens.

use crate::prelude::*;
use core::fmt;

/// Stable error codes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    // --- server codes (Vtiger webservice) ---
    /// The session name is unknown, logged out or garbage-collected: log in again.
    InvalidSessionId,
    /// A call that needs a session was sent without one.
    AuthenticationRequired,
    /// `extendsession` adopted an unauthenticated session.
    AuthenticationFailure,
    /// No unexpired challenge token for this user.
    InvalidAuthToken,
    /// Wrong access key, or inactive user.
    InvalidUserCredentials,
    /// The user has no access key.
    AccesskeyUndefined,
    /// Overloaded: permission, unknown module, unknown or deleted id.
    AccessDenied,
    /// Malformed id or id of the wrong module.
    InvalidIdAttribute,
    /// Record missing.
    RecordNotFound,
    /// A reference points to a module the field does not refer to.
    ReferenceInvalid,
    /// A mandatory field has no value.
    MandatoryFieldsMissing,
    /// SQL failure on the server.
    DatabaseQueryError,
    /// VTQL parser error.
    QuerySyntaxError,
    /// Unregistered operation.
    UnknownOperation,
    /// Any other server-side exception.
    InternalServerError,
    /// Operation not supported for this entity or method.
    OperationNotSupported,
    /// Relation not found (sic: the server spells it UNKOWN).
    UnkownEntity,
    /// `convertlead` on an already converted lead.
    LeadAlreadyConverted,
    /// Session lifetime over (defined by the server, unreachable in practice).
    SessionExpired,
    /// Session idle (defined by the server, unreachable in practice).
    SessionLeftIdle,
    /// Vtiger's duplicate-detection error (server code integer `0`).
    Duplicate,
    // --- codes shared with Perfex ---
    /// The request failed validation on the server (Perfex 400/409/422).
    ValidationFailed,
    /// The server answered with a 5xx status and no usable envelope.
    ServerError,
    // --- client codes ---
    /// The request could not be sent or the connection broke.
    Transport,
    /// The call did not finish within the configured time.
    Timeout,
    /// The caller aborted the call.
    Aborted,
    /// The reply is not a usable envelope (non-JSON, truncated, wrong shape).
    InvalidResponse,
    /// The server does not support this operation.
    Unsupported,
    /// The caller's input was rejected before anything was sent.
    InvalidInput,
    /// The server answered with a redirect the client does not follow (another origin, an
    /// https → http downgrade, a method change, a write, too many hops, or a redirect the
    /// runtime hides): the message names the target, secrets masked.
    Redirect,
    /// The answer is larger than the client's `maxResponseBytes`.
    ResponseTooLarge,
    /// A bulk write's request broke off (transport, timeout, an answer that is not an
    /// envelope): the server may have executed it (after a create, the record may exist).
    OutcomeUnknown,
    /// An upsert's match fields found several records: nothing was written.
    MultipleMatches,
    /// A server code this client does not know, passed through unchanged.
    Other(String),
}

/// Known server code strings and their variants.
const SERVER_CODES: &[(&str, ErrorCode)] = &[
    ("INVALID_SESSIONID", ErrorCode::InvalidSessionId),
    ("AUTHENTICATION_REQUIRED", ErrorCode::AuthenticationRequired),
    ("AUTHENTICATION_FAILURE", ErrorCode::AuthenticationFailure),
    ("INVALID_AUTH_TOKEN", ErrorCode::InvalidAuthToken),
    (
        "INVALID_USER_CREDENTIALS",
        ErrorCode::InvalidUserCredentials,
    ),
    ("ACCESSKEY_UNDEFINED", ErrorCode::AccesskeyUndefined),
    ("ACCESS_DENIED", ErrorCode::AccessDenied),
    ("INVALID_ID_ATTRIBUTE", ErrorCode::InvalidIdAttribute),
    ("RECORD_NOT_FOUND", ErrorCode::RecordNotFound),
    ("REFERENCE_INVALID", ErrorCode::ReferenceInvalid),
    (
        "MANDATORY_FIELDS_MISSING",
        ErrorCode::MandatoryFieldsMissing,
    ),
    ("DATABASE_QUERY_ERROR", ErrorCode::DatabaseQueryError),
    ("QUERY_SYNTAX_ERROR", ErrorCode::QuerySyntaxError),
    ("UNKNOWN_OPERATION", ErrorCode::UnknownOperation),
    ("INTERNAL_SERVER_ERROR", ErrorCode::InternalServerError),
    ("OPERATION_NOT_SUPPORTED", ErrorCode::OperationNotSupported),
    ("UNKOWN_ENTITY", ErrorCode::UnkownEntity),
    ("LEAD_ALREADY_CONVERTED", ErrorCode::LeadAlreadyConverted),
    ("SESSION_EXPIRED", ErrorCode::SessionExpired),
    ("SESSION_LEFT_IDLE", ErrorCode::SessionLeftIdle),
    ("DUPLICATE", ErrorCode::Duplicate),
    ("VALIDATION_FAILED", ErrorCode::ValidationFailed),
    ("SERVER_ERROR", ErrorCode::ServerError),
    ("TRANSPORT", ErrorCode::Transport),
    ("TIMEOUT", ErrorCode::Timeout),
    ("ABORTED", ErrorCode::Aborted),
    ("INVALID_RESPONSE", ErrorCode::InvalidResponse),
    ("UNSUPPORTED", ErrorCode::Unsupported),
    ("INVALID_INPUT", ErrorCode::InvalidInput),
    ("REDIRECT", ErrorCode::Redirect),
    ("RESPONSE_TOO_LARGE", ErrorCode::ResponseTooLarge),
    ("OUTCOME_UNKNOWN", ErrorCode::OutcomeUnknown),
    ("MULTIPLE_MATCHES", ErrorCode::MultipleMatches),
];

impl ErrorCode {
    /// The stable SCREAMING_SNAKE string.
    pub fn as_str(&self) -> &str {
        if let ErrorCode::Other(s) = self {
            return s;
        }
        SERVER_CODES
            .iter()
            .find(|(_, c)| c == self)
            .map(|(s, _)| *s)
            .unwrap_or("UNKNOWN")
    }

    /// Maps a code string to its variant; unknown strings become [`ErrorCode::Other`].
    pub fn parse(code: &str) -> ErrorCode {
        SERVER_CODES
            .iter()
            .find(|(s, _)| *s == code)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| ErrorCode::Other(code.to_owned()))
    }

    /// Maps a server's error code to the client code (`0` becomes [`ErrorCode::Duplicate`]).
    pub fn from_crm(code: &CrmCode) -> ErrorCode {
        match code {
            CrmCode::Int(0) => ErrorCode::Duplicate,
            CrmCode::Int(n) => ErrorCode::Other(n.text()),
            CrmCode::Str(s) => ErrorCode::parse(s),
        }
    }

    /// True for the codes after which a fresh login and one repeat of the call is safe:
    /// the server rejected the session before running the operation.
    pub fn is_session_expiry(&self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidSessionId
                | ErrorCode::AuthenticationRequired
                | ErrorCode::SessionExpired
                | ErrorCode::SessionLeftIdle
        )
    }
}

impl Piece for ErrorCode {
    fn push_to(&self, out: &mut String) {
        out.push_str(self.as_str());
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The server's own error code, as sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CrmCode {
    /// A string code, e.g. `ACCESS_DENIED`.
    Str(String),
    /// An integer code (Vtiger's duplicate detection sends `0`).
    Int(i64),
}

impl Piece for CrmCode {
    fn push_to(&self, out: &mut String) {
        match self {
            CrmCode::Str(s) => out.push_str(s),
            CrmCode::Int(n) => n.push_to(out),
        }
    }
}

impl fmt::Display for CrmCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// A failed operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Stable client code.
    pub code: ErrorCode,
    /// The server's code, when the server sent one.
    pub crm_code: Option<CrmCode>,
    /// HTTP status, when a response was received.
    pub status: Option<u16>,
    /// Human-readable message (the server's message where there is one). Never holds secrets.
    pub message: String,
    /// The operation or resource call that failed (e.g. `query`, `customers.create`).
    pub operation: Option<String>,
    /// The input field at fault, for INVALID_INPUT and validation errors.
    pub field: Option<String>,
    /// Per-field server messages (Perfex validation errors), in the server's order.
    pub field_errors: Vec<(String, String)>,
    /// A short, secret-free excerpt of an unusable body.
    pub snippet: Option<String>,
}

/// Result alias.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Longest body excerpt an error keeps, in characters.
pub const SNIPPET_CHARS: usize = 120;

impl Error {
    /// A new error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            crm_code: None,
            status: None,
            message: message.into(),
            operation: None,
            field: None,
            field_errors: Vec::new(),
            snippet: None,
        }
    }

    /// An error the server reported in its envelope.
    pub fn from_server(crm_code: CrmCode, message: impl Into<String>) -> Self {
        let mut e = Error::new(
            ErrorCode::from_crm(&crm_code),
            mask_secrets(&message.into()),
        );
        e.crm_code = Some(crm_code);
        e
    }

    /// INVALID_INPUT naming the field at fault.
    pub fn invalid_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Error::new(ErrorCode::InvalidInput, message);
        e.field = Some(field.into());
        e
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the operation name.
    pub fn with_operation(mut self, op: impl Into<String>) -> Self {
        self.operation = Some(op.into());
        self
    }

    /// Keeps a short excerpt of a body, with secret-looking values masked.
    pub fn with_snippet(mut self, body: &[u8]) -> Self {
        self.snippet = Some(snippet(body));
        self
    }

    /// The stable code string.
    pub fn code_str(&self) -> &str {
        self.code.as_str()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut t = cat!(self.code, ": ", self.message);
        if let Some(s) = self.status {
            cat_to!(&mut t; " (HTTP ", s, ")");
        }
        f.write_str(&t)
    }
}

impl core::error::Error for Error {}

/// An error as a JSON object text: how errors cross to JS (pkg/errors.js `errorFromJson`
/// makes the CrmError) and how a REST create's `lookupError` is delivered:
/// `{"code","message","crmCode"?,"status"?,"operation"?,"field"?,"snippet"?,"fieldErrors"?}`.
/// The message is masked ([`mask_secrets`]).
pub fn error_json(e: &Error) -> String {
    use crate::json::quote;
    let mut out = String::from("{\"code\":");
    quote(e.code.as_str(), &mut out);
    out.push_str(",\"message\":");
    quote(&mask_secrets(&e.message), &mut out);
    match &e.crm_code {
        Some(CrmCode::Str(s)) => {
            out.push_str(",\"crmCode\":");
            quote(s, &mut out);
        }
        Some(CrmCode::Int(n)) => {
            out.push_str(",\"crmCode\":");
            out.push_str(&n.text());
        }
        None => {}
    }
    if let Some(s) = e.status {
        out.push_str(",\"status\":");
        out.push_str(&s.text());
    }
    for (k, v) in [
        ("operation", &e.operation),
        ("field", &e.field),
        ("snippet", &e.snippet),
    ] {
        if let Some(v) = v {
            out.push(',');
            quote(k, &mut out);
            out.push(':');
            quote(v, &mut out);
        }
    }
    if !e.field_errors.is_empty() {
        out.push_str(",\"fieldErrors\":{");
        for (i, (k, m)) in e.field_errors.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            quote(k, &mut out);
            out.push(':');
            quote(m, &mut out);
        }
        out.push('}');
    }
    out.push('}');
    out
}

/// A short excerpt of a body for error reports: at most [`SNIPPET_CHARS`] characters,
/// control characters shown as spaces, and values of secret-named fields masked.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == SNIPPET_CHARS {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    mask_secrets(&out)
}

/// Names whose values are secrets in a text (compared ASCII case-insensitively, as whole words).
const SECRET_KEYS: &[&str] = &[
    "sessionname",
    "accesskey",
    "access_key",
    "phpsessid",
    "authtoken",
    "auth_token",
    "token",
    "key",
    "apikey",
    "api_key",
    "password",
];

/// What may stand between a secret's name and its value: `=`, `:`, PHP's `=>`, and their
/// URL- and HTML-encoded forms (`%3D`, `%253D`, `&#61;`, `&#x3d;`).
const ASSIGN: &[&str] = &["=>", "=", ":", "%3d", "%253d", "&#61;", "&#x3d;"];

/// Quotes around a name or a value, plain or encoded.
const QUOTES: &[&str] = &["\\\"", "\"", "'", "%22", "&quot;", "&#34;", "]"];

/// Masks the value after every secret-looking name (`sessionName`, `accessKey`, `token`, …)
/// followed by an assignment in any of the forms servers and URLs use: `sessionName=v`,
/// `"sessionName":"v"`, `[sessionName] => v`, `sessionName%3Dv`, `sessionName&#61;v`. The
/// name stays; the value becomes `[redacted]`. A name without an assignment ("the token is
/// invalid") is left alone.
pub fn mask_secrets(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let b = lower.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if i > 0 && word(b[i - 1]) || !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let Some(k) = SECRET_KEYS.iter().find(|k| {
            b[i..].starts_with(k.as_bytes()) && !b.get(i + k.len()).is_some_and(|&c| word(c))
        }) else {
            i += 1;
            continue;
        };
        let mut j = i + k.len();
        // Closing quotes or bracket after the name, and spaces.
        'close: for _ in 0..4 {
            if b.get(j) == Some(&b' ') {
                j += 1;
                continue;
            }
            for q in QUOTES {
                if b[j..].starts_with(q.as_bytes()) {
                    j += q.len();
                    continue 'close;
                }
            }
            break;
        }
        let Some(a) = ASSIGN.iter().find(|a| b[j..].starts_with(a.as_bytes())) else {
            i += k.len();
            continue;
        };
        j += a.len();
        'open: for _ in 0..4 {
            if b.get(j) == Some(&b' ') {
                j += 1;
                continue;
            }
            for q in QUOTES {
                if b[j..].starts_with(q.as_bytes()) {
                    j += q.len();
                    continue 'open;
                }
            }
            break;
        }
        let start = j;
        while j < b.len()
            && !matches!(
                b[j],
                b'"' | b'\'' | b'&' | b',' | b'}' | b']' | b')' | b';' | b'<' | b'\\'
            )
            && !b[j].is_ascii_whitespace()
            // Bytes, not `lower[j..]`: inside a value `j` may stop in the middle of a
            // multi-byte character (a str slice there panics; found by tests/fuzz envelope).
            && !b[j..].starts_with(b"%26")
            && !b[j..].starts_with(b"%22")
        {
            j += 1;
        }
        if j == start {
            i = j.max(i + 1);
            continue;
        }
        // `start`/`j` are at ASCII bytes or the end: char boundaries of `s`.
        out.push_str(&s[copied..start]);
        out.push_str(crate::secret::REDACTED);
        copied = j;
        i = j;
    }
    if copied == 0 {
        return s.to_owned();
    }
    out.push_str(&s[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (s, c) in SERVER_CODES {
            assert_eq!(c.as_str(), *s);
            assert_eq!(ErrorCode::parse(s), *c);
        }
        assert_eq!(
            ErrorCode::parse("WSAPP04"),
            ErrorCode::Other("WSAPP04".into())
        );
        assert_eq!(ErrorCode::parse("WSAPP04").as_str(), "WSAPP04");
    }

    #[test]
    fn integer_zero_is_duplicate() {
        let e = Error::from_server(CrmCode::Int(0), "Duplicate(s) detected!");
        assert_eq!(e.code, ErrorCode::Duplicate);
        assert_eq!(e.crm_code, Some(CrmCode::Int(0)));
    }

    #[test]
    fn snippet_is_short_and_masks_secrets() {
        let body = br#"{"success":true,"result":{"sessionName":"abc123def","userId":"19x1"}}"#;
        let s = snippet(body);
        assert!(!s.contains("abc123def"), "{s}");
        assert!(s.contains("userId"));
        let long = vec![b'x'; 5000];
        assert!(snippet(&long).chars().count() <= SNIPPET_CHARS + 1);
    }

    #[test]
    fn mask_secrets_survives_non_ascii_values() {
        // A value running into multi-byte characters (a fuzz find: the scan sliced the text
        // inside a character and panicked).
        let m = mask_secrets("token=5b04\u{FFFD}\u{FFFD}db68 and token: é%22x");
        assert!(!m.contains("5b04") && !m.contains("é%22"), "{m}");
        assert_eq!(mask_secrets("key=ééé"), "key=[redacted]");
    }

    #[test]
    fn mask_secrets_catches_plain_quoted_php_and_encoded_forms() {
        for (text, kept) in [
            ("near sessionName=abc123def&x=1", "&x=1"),
            ("url ?operation=q&sessionName=abc123def", "operation=q"),
            ("bad sessionName%3Dabc123def%26id%3D1", "%26id%3D1"),
            ("bad sessionName%253Dabc123def", "bad sessionName%253D"),
            ("html sessionName&#61;abc123def&amp;x", "&amp;x"),
            ("html sessionName&#x3D;abc123def end", " end"),
            (
                r#"{"sessionName":"abc123def","userId":"19x1"}"#,
                r#""userId":"19x1""#,
            ),
            (
                "print_r [sessionName] => abc123def\n",
                "print_r [sessionName]",
            ),
            ("accessKey: abc123def", "accessKey"),
            ("ACCESSKEY=abc123def", "ACCESSKEY="),
        ] {
            let m = mask_secrets(text);
            assert!(!m.contains("abc123def"), "{text} -> {m}");
            assert!(m.contains(crate::secret::REDACTED), "{text} -> {m}");
            assert!(m.contains(kept), "{text} -> {m}");
        }
        // Names without an assignment, and look-alike words, are left alone.
        for text in [
            "Specified token is invalid or expired",
            "the tokens were sent",
            "monkey=1",
            "no key here",
            "Zoë ≠ sessionName",
        ] {
            assert_eq!(mask_secrets(text), text);
        }
    }

    #[test]
    fn server_messages_are_masked_and_error_json_is_complete() {
        let mut e = Error::from_server(
            CrmCode::Str("DATABASE_QUERY_ERROR".into()),
            "failed near sessionName%3Ds3cr3tvalue",
        )
        .with_status(200)
        .with_operation("query");
        assert!(!e.message.contains("s3cr3tvalue"), "{}", e.message);
        e.field_errors.push(("email".into(), "taken \"x\"".into()));
        let j = crate::json::parse(&error_json(&e)).unwrap();
        assert_eq!(
            j.get("code").and_then(crate::json::Json::as_str),
            Some("DATABASE_QUERY_ERROR")
        );
        assert_eq!(
            j.get("status").and_then(crate::json::Json::as_i64),
            Some(200)
        );
        assert_eq!(
            j.get("fieldErrors")
                .and_then(|f| f.get("email"))
                .and_then(crate::json::Json::as_str),
            Some("taken \"x\"")
        );
        let dup = error_json(&Error::from_server(CrmCode::Int(0), "Duplicate"));
        assert!(
            dup.contains(r#""code":"DUPLICATE","message":"Duplicate","crmCode":0"#),
            "{dup}"
        );
    }
}
