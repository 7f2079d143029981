//! The CGI/WAGI convention between `wasipy serve` and a handler: the request as environment
//! variables (RFC 3875, plus WAGI's `X_*`), the response as headers, a blank line and the body.

/// What the environment of a handler is built from: one HTTP request, as the server saw it.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path the route matched (`/api`), empty for the root route.
    pub route: &'a str,
    /// The request path, percent-encoded as received (`/api/items/7`).
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub body_len: usize,
    pub server_name: &'a str,
    pub server_port: u16,
    pub remote_addr: &'a str,
    pub protocol: &'a str,
}

/// The CGI variables of `request`, in a stable order.
pub fn environ(request: &Request) -> Vec<(String, String)> {
    let path_info = request.path.strip_prefix(request.route).unwrap_or(request.path);
    let mut env = vec![
        ("GATEWAY_INTERFACE".to_owned(), "CGI/1.1".to_owned()),
        ("SERVER_SOFTWARE".to_owned(), concat!("wasipy/", env!("CARGO_PKG_VERSION")).to_owned()),
        ("SERVER_PROTOCOL".to_owned(), request.protocol.to_owned()),
        ("SERVER_NAME".to_owned(), request.server_name.to_owned()),
        ("SERVER_PORT".to_owned(), request.server_port.to_string()),
        ("REQUEST_METHOD".to_owned(), request.method.to_owned()),
        ("SCRIPT_NAME".to_owned(), request.route.to_owned()),
        ("PATH_INFO".to_owned(), percent_decode(path_info)),
        ("QUERY_STRING".to_owned(), request.query.to_owned()),
        ("REMOTE_ADDR".to_owned(), request.remote_addr.to_owned()),
        ("REMOTE_HOST".to_owned(), request.remote_addr.to_owned()),
        // WAGI's additions (Spin's wagi executor sets these too).
        ("X_MATCHED_ROUTE".to_owned(), if request.route.is_empty() { "/".to_owned() } else { request.route.to_owned() }),
        ("X_RAW_PATH_INFO".to_owned(), path_info.to_owned()),
        ("X_FULL_URL".to_owned(), full_url(request)),
    ];
    if request.body_len > 0 || request.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-length")) {
        env.push(("CONTENT_LENGTH".to_owned(), request.body_len.to_string()));
    }
    for (name, value) in request.headers {
        if name.eq_ignore_ascii_case("content-type") {
            env.push(("CONTENT_TYPE".to_owned(), value.clone()));
        }
        // RFC 3875 4.1.18: every header as HTTP_NAME; repeated headers joined as HTTP joins them.
        let key = format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_"));
        match env.iter_mut().find(|(existing, _)| *existing == key) {
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            None => env.push((key, value.clone())),
        }
    }
    env
}

fn full_url(request: &Request) -> String {
    let mut url = format!("http://{}:{}{}", request.server_name, request.server_port, request.path);
    if !request.query.is_empty() {
        url.push('?');
        url.push_str(request.query);
    }
    url
}

/// `%XX` decoded (PATH_INFO is decoded in CGI); bytes that do not form UTF-8 become U+FFFD.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A handler's response, parsed from what it wrote on stdout.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body_start: usize,
}

/// Parses the CGI header block at the start of `output`: `Status:` sets the status (200 by default,
/// 302 with a `Location:` and no `Status:`), every other header passes through. `None` when there
/// is no complete header block (the handler failed before writing one).
pub fn parse_response(output: &[u8]) -> Option<Response> {
    let (head_len, body_start) = find_blank_line(output)?;
    let head = std::str::from_utf8(&output[..head_len]).ok()?;
    let mut status = None;
    let mut reason = None;
    let mut headers = Vec::new();
    for line in head.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':')?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("status") {
            let (code, text) = value.split_once(' ').unwrap_or((value, ""));
            status = Some(code.parse::<u16>().ok().filter(|code| (100..1000).contains(code))?);
            reason = (!text.trim().is_empty()).then(|| text.trim().to_owned());
        } else {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    let has_location = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("location"));
    let status = status.unwrap_or(if has_location { 302 } else { 200 });
    Some(Response { status, reason, headers, body_start })
}

/// (length of the header block, start of the body): the first empty line, `\r\n` or `\n` endings.
fn find_blank_line(output: &[u8]) -> Option<(usize, usize)> {
    let mut line_start = 0;
    for (i, &byte) in output.iter().enumerate() {
        if byte == b'\n' {
            let line = &output[line_start..i];
            if line.is_empty() || line == b"\r" {
                return Some((line_start, i + 1));
            }
            line_start = i + 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(headers: &'a [(String, String)]) -> Request<'a> {
        Request {
            method: "POST",
            route: "/api",
            path: "/api/items/a%20b",
            query: "x=1&y=2",
            headers,
            body_len: 5,
            server_name: "127.0.0.1",
            server_port: 8080,
            remote_addr: "127.0.0.1",
            protocol: "HTTP/1.1",
        }
    }

    #[test]
    fn environ_follows_cgi_and_wagi() {
        let headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-Trace".to_owned(), "a".to_owned()),
            ("x-trace".to_owned(), "b".to_owned()),
        ];
        let env = environ(&request(&headers));
        let get = |name: &str| env.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
        assert_eq!(get("REQUEST_METHOD"), Some("POST"));
        assert_eq!(get("SCRIPT_NAME"), Some("/api"));
        assert_eq!(get("PATH_INFO"), Some("/items/a b"));
        assert_eq!(get("X_RAW_PATH_INFO"), Some("/items/a%20b"));
        assert_eq!(get("QUERY_STRING"), Some("x=1&y=2"));
        assert_eq!(get("CONTENT_LENGTH"), Some("5"));
        assert_eq!(get("CONTENT_TYPE"), Some("application/json"));
        assert_eq!(get("HTTP_CONTENT_TYPE"), Some("application/json"));
        assert_eq!(get("HTTP_X_TRACE"), Some("a, b"));
        assert_eq!(get("X_FULL_URL"), Some("http://127.0.0.1:8080/api/items/a%20b?x=1&y=2"));
        assert_eq!(get("SERVER_PORT"), Some("8080"));
    }

    #[test]
    fn responses_parse_status_headers_and_body() {
        let out = b"Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope";
        let response = parse_response(out).unwrap();
        assert_eq!(response.status, 404);
        assert_eq!(response.reason.as_deref(), Some("Not Found"));
        assert_eq!(response.headers, vec![("Content-Type".to_owned(), "text/plain".to_owned())]);
        assert_eq!(&out[response.body_start..], b"nope");

        let response = parse_response(b"Content-Type: text/html\n\n<p>hi</p>\n").unwrap();
        assert_eq!(response.status, 200);

        let response = parse_response(b"Location: /elsewhere\n\n").unwrap();
        assert_eq!(response.status, 302);

        assert_eq!(parse_response(b"no header block at all"), None);
        assert_eq!(parse_response(b"Status: abc\n\n"), None);
        assert_eq!(parse_response(b"not a header\n\nbody"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b%2Fc"), "/a b/c");
        assert_eq!(percent_decode("/100%"), "/100%");
        assert_eq!(percent_decode("/%zz"), "/%zz");
    }
}
