//! The rewriter on its own (examples, every split of the input, generated connections) and the
//! stream around it.

use std::{
    pin::Pin,
    task::{Context, Poll, Waker},
};

use proptest::prelude::*;
use tokio::io::{AsyncRead, ReadBuf};

use super::*;

/// The whole connection fed at once.
fn rewrite(input: &[u8]) -> Vec<u8> {
    let mut rewriter = Rewriter::default();
    let mut out = Vec::new();
    rewriter.push(input, &mut out);
    rewriter.finish(&mut out);
    out
}

/// The connection fed in pieces of `size` bytes.
fn rewrite_in_pieces(input: &[u8], size: usize) -> Vec<u8> {
    let mut rewriter = Rewriter::default();
    let mut out = Vec::new();
    for piece in input.chunks(size) {
        rewriter.push(piece, &mut out);
    }
    rewriter.finish(&mut out);
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn raw_quotes_in_a_query_are_percent_encoded() {
    let out =
        rewrite(b"GET /scim/v2/o/Users?filter=userName+eq+\"a@b.org\" HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(
        text(&out),
        "GET /scim/v2/o/Users?filter=userName+eq+%22a@b.org%22 HTTP/1.1\r\nHost: x\r\n\r\n"
    );
}

#[test]
fn every_excluded_byte_and_raw_utf8_is_encoded_in_the_query_only() {
    let out = rewrite("GET /p\"{}|\\^`<>é?q=\"{}|\\^`<>é&r=%22+ok HTTP/1.1\r\n\r\n".as_bytes());
    assert_eq!(
        text(&out),
        "GET /p\"{}|\\^`<>é?q=%22%7B%7D%7C%5C%5E%60%3C%3E%C3%A9&r=%22+ok HTTP/1.1\r\n\r\n",
        "the path is left as it came; already encoded bytes stay as they are"
    );
    // A byte that is not UTF-8 is encoded too; the query decoder reads it as U+FFFD.
    assert_eq!(
        rewrite(b"GET /?q=\xe9 HTTP/1.0\r\n\r\n"),
        b"GET /?q=%E9 HTTP/1.0\r\n\r\n"
    );
    // Only the first `?` starts the query.
    assert_eq!(
        text(&rewrite(b"GET /a?b?\"c\" HTTP/1.1\r\n\r\n")),
        "GET /a?b?%22c%22 HTTP/1.1\r\n\r\n"
    );
}

#[test]
fn headers_and_blank_lines_before_the_request_line_pass_unchanged() {
    let input = b"\r\n\r\nGET /?q=\"x\" HTTP/1.1\r\nX-Note: \"quoted\" <b>\r\nHost: x\r\n\r\n";
    assert_eq!(
        text(&rewrite(input)),
        "\r\n\r\nGET /?q=%22x%22 HTTP/1.1\r\nX-Note: \"quoted\" <b>\r\nHost: x\r\n\r\n"
    );
}

#[test]
fn a_content_length_body_passes_unchanged_and_the_next_request_is_rewritten() {
    let body = b"{\r\n\"displayName\": \"GET /x?a=\\\"b\\\" HTTP/1.1\"\r\n\r\n}";
    let mut input = format!(
        "POST /Users?x=\"1\" HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    input.extend_from_slice(body);
    input.extend_from_slice(b"GET /Users?x=\"2\" HTTP/1.1\r\n\r\n");
    let mut expected = format!(
        "POST /Users?x=%221%22 HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    expected.extend_from_slice(body);
    expected.extend_from_slice(b"GET /Users?x=%222%22 HTTP/1.1\r\n\r\n");
    assert_eq!(text(&rewrite(&input)), text(&expected));
}

#[test]
fn a_chunked_body_with_extensions_and_trailers_passes_unchanged() {
    let body = "5;name=\"v\"\r\nGET /\r\n1A \t\r\n?q=\"x\" HTTP/1.1\r\n\r\nabcdefg\r\n0\r\nX-Trailer: \"t\"\r\n\r\n";
    let input = format!(
        "POST /Users HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n{body}GET /?q=\"y\" HTTP/1.1\r\n\r\n"
    );
    let expected = format!(
        "POST /Users HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n{body}GET /?q=%22y%22 HTTP/1.1\r\n\r\n"
    );
    assert_eq!(text(&rewrite(input.as_bytes())), expected);
    // Without trailers, too.
    let input = "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\n\"\"\"\r\n0\r\n\r\nGET /?\" HTTP/1.1\r\n\r\n";
    assert_eq!(
        text(&rewrite(input.as_bytes())),
        "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3\r\n\"\"\"\r\n0\r\n\r\nGET /?%22 HTTP/1.1\r\n\r\n"
    );
}

#[test]
fn pipelined_requests_are_each_rewritten() {
    let one = b"GET /Users?filter=userName+eq+\"a\" HTTP/1.1\r\nHost: x\r\n\r\n";
    let input = [&one[..], &one[..], &one[..]].concat();
    let out = text(&rewrite(&input));
    assert_eq!(out.matches("%22a%22").count(), 3, "{out}");
    assert!(!out.contains("\"a\""), "{out}");
}

/// Connections on which the rewriter cannot be sure where the next message starts: each must come
/// out byte for byte as it went in, from the uncertain head on, so that hyper judges it alone.
const UNSURE: &[&[u8]] = &[
    b"POST /?q=\"a\" HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n",
    b"POST /?q=\"a\" HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
    b"POST /?q=\"a\" HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    b"POST /?q=\"a\" HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc",
    b"POST /?q=\"a\" HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
    b"POST /?q=\"a\" HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\nabc",
    b"POST /?q=\"a\" HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    b"POST /?q=\"a\" HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /?q=\"a\" HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET /?q=\"a\" HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n",
    b"CONNECT example.org:443 HTTP/1.1\r\n\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n",
    b"GET /?q=\"a\" HTTP/1.1\nHost: x\n\n",
    b"GET /?q=\"a\" HTTP/1.1\r\nHost: x\n\r\n",
    b"GET /?q=\"a\" HTTP/1.1\rHost: x\r\n\r\n",
    b"GET /?q=\"a\" HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
    b"GET /?q=\"a\" HTTP/1.1\r\nHost : x\r\n\r\n",
    b"GET /?q=\"a\" HTTP/1.1\r\nno colon\r\n\r\n",
    b"GET /?q=\"a\" HTTP/1.1\r\nX-Bad: a\x01b\r\n\r\n",
    b"GET /?q=\"a\" b HTTP/1.1\r\n\r\n",
    b"GET  /?q=\"a\" HTTP/1.1\r\n\r\n",
    b"GET /?q=\"a\" HTTP/2.0\r\n\r\n",
    b"G(T /?q=\"a\" HTTP/1.1\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a\nb\r\nabc\r\n0\r\n\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\nb\r\n\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n",
];

#[test]
fn anything_uncertain_passes_unchanged() {
    for input in UNSURE {
        for size in [1, 2, 7, input.len()] {
            assert_eq!(
                text(&rewrite_in_pieces(input, size)),
                text(input),
                "pieces of {size}"
            );
        }
    }
}

#[test]
fn a_valid_request_before_an_uncertain_one_is_still_rewritten() {
    let input = b"GET /?q=\"a\" HTTP/1.1\r\n\r\nGET /?q=\"b\" HTTP/1.1\nHost: x\n\nGET /?q=\"c\" HTTP/1.1\r\n\r\n";
    assert_eq!(
        text(&rewrite(input)),
        "GET /?q=%22a%22 HTTP/1.1\r\n\r\nGET /?q=\"b\" HTTP/1.1\nHost: x\n\nGET /?q=\"c\" HTTP/1.1\r\n\r\n"
    );
}

#[test]
fn a_head_longer_than_the_limit_passes_unchanged() {
    let mut input = b"GET /?q=\"a\" HTTP/1.1\r\n".to_vec();
    while input.len() <= MAX_HEAD {
        input.extend_from_slice(b"X-Padding: 0123456789012345678901234567890123456789\r\n");
    }
    input.extend_from_slice(b"\r\nGET /?q=\"b\" HTTP/1.1\r\n\r\n");
    assert_eq!(rewrite(&input), input);
}

#[test]
fn a_connection_ending_inside_a_head_hands_over_what_it_held() {
    assert_eq!(
        text(&rewrite(b"GET /?q=\"a\" HTTP/1.1\r\nHo")),
        "GET /?q=\"a\" HTTP/1.1\r\nHo"
    );
    assert_eq!(rewrite(b"\r\n"), b"\r\n");
}

#[test]
fn a_request_line_alone_is_held_back_until_its_head_ends() {
    let mut rewriter = Rewriter::default();
    let mut out = Vec::new();
    rewriter.push(b"GET /?q=\"a\" HTTP/1.1\r\nHost: x\r\n", &mut out);
    assert!(out.is_empty());
    rewriter.push(b"\r\n", &mut out);
    assert_eq!(text(&out), "GET /?q=%22a%22 HTTP/1.1\r\nHost: x\r\n\r\n");
}

/// One request of a generated connection: its head (as sent, as hyper must see it) and body.
#[derive(Debug, Clone)]
struct Message {
    sent: Vec<u8>,
    expected: Vec<u8>,
}

fn query() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(&b"\"{}|\\^`<>"[..])
                .prop_map(|b| (vec![b], format!("%{b:02X}").into_bytes())),
            "[a-zA-Z0-9=&+%@._-]".prop_map(|s| (s.clone().into_bytes(), s.into_bytes())),
            "[é✓]".prop_map(|s| {
                let encoded: String = s.bytes().map(|b| format!("%{b:02X}")).collect();
                (s.into_bytes(), encoded.into_bytes())
            }),
        ],
        0..12,
    )
    .prop_map(|parts| {
        let sent = parts.iter().flat_map(|(s, _)| s.clone()).collect();
        let expected = parts.iter().flat_map(|(_, e)| e.clone()).collect();
        (sent, expected)
    })
}

/// Bodies full of what looks like request lines, quotes and chunk syntax.
fn body() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(b"GET /?q=\"x\" HTTP/1.1\r\n".to_vec()),
            Just(b"\r\n\r\n".to_vec()),
            Just(b"0\r\n\r\n".to_vec()),
            Just(b"Content-Length: 5\r\n".to_vec()),
            any::<Vec<u8>>(),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn message() -> impl Strategy<Value = Message> {
    (
        query(),
        body(),
        0..3u8,
        proptest::collection::vec(1..40usize, 0..4),
        any::<bool>(),
    )
        .prop_map(
            |((q_sent, q_expected), body, framing, chunk_sizes, trailers)| {
                let mut sent = b"POST /scim/v2/o/Users?".to_vec();
                sent.extend_from_slice(&q_sent);
                let mut expected = b"POST /scim/v2/o/Users?".to_vec();
                expected.extend_from_slice(&q_expected);
                let mut rest = b" HTTP/1.1\r\nHost: roster\r\n".to_vec();
                match framing {
                    0 if body.is_empty() => {}
                    0 | 1 => rest.extend_from_slice(
                        format!("Content-Length: {}\r\n", body.len()).as_bytes(),
                    ),
                    _ => rest.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
                }
                rest.extend_from_slice(b"\r\n");
                if framing == 2 {
                    let mut left = &body[..];
                    for size in chunk_sizes.iter().cycle() {
                        if left.is_empty() {
                            break;
                        }
                        let (chunk, tail) = left.split_at((*size).min(left.len()));
                        rest.extend_from_slice(
                            format!("{:x};ext=\"GET / HTTP/1.1\"\r\n", chunk.len()).as_bytes(),
                        );
                        rest.extend_from_slice(chunk);
                        rest.extend_from_slice(b"\r\n");
                        left = tail;
                    }
                    rest.extend_from_slice(b"0\r\n");
                    if trailers {
                        rest.extend_from_slice(b"X-Checksum: \"GET /?q=\"x\" HTTP/1.1\"\r\n");
                    }
                    rest.extend_from_slice(b"\r\n");
                } else {
                    rest.extend_from_slice(&body);
                }
                sent.extend_from_slice(&rest);
                expected.extend_from_slice(&rest);
                Message { sent, expected }
            },
        )
}

// 256 cases by default; `PROPTEST_CASES=100000` for a long run.
proptest! {
    /// Heads are rewritten, bodies never are, however the connection is cut into reads.
    #[test]
    fn generated_connections_change_only_request_line_queries(
        messages in proptest::collection::vec(message(), 1..5),
        size in 1..64usize,
    ) {
        let sent: Vec<u8> = messages.iter().flat_map(|m| m.sent.clone()).collect();
        let expected: Vec<u8> = messages.iter().flat_map(|m| m.expected.clone()).collect();
        prop_assert_eq!(rewrite(&sent), expected.clone());
        prop_assert_eq!(rewrite_in_pieces(&sent, size), expected);
    }

    /// Whatever arrives, the output is the input with some bytes replaced by their `%XX` form, and
    /// how the input is cut into reads does not matter.
    #[test]
    fn arbitrary_bytes_only_ever_gain_percent_encodings(
        input in proptest::collection::vec(prop_oneof![
            any::<u8>(),
            proptest::sample::select(&b"GET /?\"\r\n: 0123456789abcdef;ContentLength-Transfer-Encoding chunked HTTP/1.1"[..]),
        ], 0..400),
        size in 1..64usize,
    ) {
        let whole = rewrite(&input);
        prop_assert_eq!(rewrite_in_pieces(&input, size), whole.clone());
        let mut i = 0;
        let mut j = 0;
        while i < input.len() {
            if whole.get(j) == Some(&input[i]) {
                i += 1;
                j += 1;
            } else {
                let encoded = format!("%{:02X}", input[i]).into_bytes();
                prop_assert_eq!(whole.get(j..j + 3), Some(&encoded[..]));
                i += 1;
                j += 3;
            }
        }
        prop_assert_eq!(j, whole.len());
    }
}

/// A reader that hands out its chunks one per read, with a `Pending` before each.
struct Trickle {
    chunks: Vec<Vec<u8>>,
    ready: bool,
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        if !self.chunks.is_empty() {
            let chunk = self.chunks.remove(0);
            buf.put_slice(&chunk);
        }
        Poll::Ready(Ok(()))
    }
}

#[test]
fn the_stream_hands_the_reader_rewritten_bytes_in_small_reads() {
    let mut stream = QueryEncodingStream::new(Trickle {
        chunks: vec![
            b"GET /?q=\"a\" HT".to_vec(),
            b"TP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n\"\"".to_vec(),
            b"\"\"".to_vec(),
        ],
        ready: false,
    });
    let mut cx = Context::from_waker(Waker::noop());
    let mut received = Vec::new();
    let mut small = [0; 5];
    loop {
        let mut buf = ReadBuf::new(&mut small);
        match Pin::new(&mut stream).poll_read(&mut cx, &mut buf) {
            Poll::Pending => continue,
            Poll::Ready(result) => {
                result.unwrap();
                if buf.filled().is_empty() {
                    break;
                }
                received.extend_from_slice(buf.filled());
            }
        }
    }
    assert_eq!(
        text(&received),
        "GET /?q=%22a%22 HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n\"\"\"\""
    );
}

// ---- differential: hyper behind the rewriter against hyper alone ----

/// What a server saw: each request that reached the router, and the response bytes (without
/// `date`).
#[derive(Debug, PartialEq)]
struct Seen {
    requests: Vec<String>,
    responses: String,
}

/// Two servers on loopback with one recording router: one behind [`QueryEncodingListener`], one
/// plain.
struct Servers {
    rewriting: std::net::SocketAddr,
    plain: std::net::SocketAddr,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _runtime: tokio::runtime::Runtime,
}

fn servers() -> &'static Servers {
    static SERVERS: std::sync::OnceLock<Servers> = std::sync::OnceLock::new();
    SERVERS.get_or_init(|| {
        use axum::{body::Bytes, extract::State, http::Method, http::Uri};
        type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;
        async fn record(State(log): State<Log>, method: Method, uri: Uri, body: Bytes) -> String {
            let seen = format!("{method} {uri} {:?}", String::from_utf8_lossy(&body));
            log.lock().unwrap().push(seen);
            format!("{} bytes", body.len())
        }
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let log = Log::default();
        let router = axum::Router::new().fallback(record).with_state(log.clone());
        let (rewriting, plain) = runtime.block_on(async {
            let a = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let b = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addrs = (a.local_addr().unwrap(), b.local_addr().unwrap());
            tokio::spawn(axum::serve(QueryEncodingListener::new(a), router.clone()).into_future());
            tokio::spawn(axum::serve(b, router).into_future());
            addrs
        });
        Servers {
            rewriting,
            plain,
            log,
            _runtime: runtime,
        }
    })
}

/// Sends `bytes` on a fresh connection and reads until the server closes it.
fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Seen {
    use std::io::{Read, Write};
    let servers = servers();
    servers.log.lock().unwrap().clear();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut responses = Vec::new();
    if let Err(e) = stream.read_to_end(&mut responses) {
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
    }
    let responses = text(&responses)
        .split_inclusive("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("date:"))
        .collect();
    Seen {
        requests: servers.log.lock().unwrap().clone(),
        responses,
    }
}

/// Message heads that hyper frames its own way, refuses, or upgrades: from the first one on the
/// rewriter must pass everything unchanged. `{q}` is the query, `{n}` the body length.
const ODD_HEADS: &[&str] = &[
    "POST /odd?{q} HTTP/1.1\r\nContent-Length: {n}\r\nTransfer-Encoding: chunked\r\n\r\n",
    "POST /odd?{q} HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: {n}\r\n\r\n",
    "POST /odd?{q} HTTP/1.1\r\nContent-Length: {n}\r\nContent-Length: {n}\r\n\r\n",
    "POST /odd?{q} HTTP/1.1\r\nContent-Length: {n}, {n}\r\n\r\n",
    "POST /odd?{q} HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "POST /odd?{q} HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    "POST /odd?{q} HTTP/1.1\nContent-Length: {n}\n\n",
    "POST /odd?{q} HTTP/1.1\r\nContent-Length: {n}\r\n folded\r\n\r\n",
    "POST /odd?{q} HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: {n}\r\n\r\n",
];

#[derive(Debug, Clone)]
enum Shape {
    Length,
    Chunked { sizes: Vec<usize>, trailers: bool },
    Odd(usize),
}

fn chunked_body(body: &[u8], sizes: &[usize], trailers: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left = body;
    for size in sizes.iter().cycle() {
        if left.is_empty() {
            break;
        }
        let (chunk, tail) = left.split_at((*size).min(left.len()));
        out.extend_from_slice(
            format!("{:x};a=\"GET /?q=\\\"x\\\" HTTP/1.1\"\r\n", chunk.len()).as_bytes(),
        );
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
        left = tail;
    }
    out.extend_from_slice(b"0\r\n");
    if trailers {
        out.extend_from_slice(b"X-T: \"GET /?q=\"x\" HTTP/1.1\"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A connection of messages: what is sent, and what hyper alone must be sent to see the same.
fn connection() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let shape = prop_oneof![
        3 => Just(Shape::Length),
        3 => (proptest::collection::vec(1..30usize, 1..4), any::<bool>())
            .prop_map(|(sizes, trailers)| Shape::Chunked { sizes, trailers }),
        1 => (0..ODD_HEADS.len()).prop_map(Shape::Odd),
    ];
    proptest::collection::vec((query(), body(), shape), 1..5).prop_map(|messages| {
        let mut sent = Vec::new();
        let mut expected = Vec::new();
        let mut odd_seen = false;
        for ((q_sent, q_expected), body, shape) in messages {
            let q_sent = text(&q_sent);
            let q_expected = if odd_seen {
                q_sent.clone()
            } else {
                text(&q_expected)
            };
            let (head_sent, head_expected, body) = match shape {
                Shape::Length => {
                    let head = |q: &str| {
                        format!(
                            "POST /len?{q} HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
                            body.len()
                        )
                    };
                    (head(&q_sent), head(&q_expected), body)
                }
                Shape::Chunked { sizes, trailers } => {
                    let head = |q: &str| {
                        format!("PUT /chunked?{q} HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n")
                    };
                    (
                        head(&q_sent),
                        head(&q_expected),
                        chunked_body(&body, &sizes, trailers),
                    )
                }
                Shape::Odd(i) => {
                    odd_seen = true;
                    let head = ODD_HEADS[i]
                        .replace("{q}", &q_sent)
                        .replace("{n}", &body.len().to_string());
                    (head.clone(), head, body)
                }
            };
            sent.extend_from_slice(head_sent.as_bytes());
            sent.extend_from_slice(&body);
            expected.extend_from_slice(head_expected.as_bytes());
            expected.extend_from_slice(&body);
        }
        let end = b"GET /end?\"done\" HTTP/1.1\r\nConnection: close\r\n\r\n";
        sent.extend_from_slice(end);
        if odd_seen {
            expected.extend_from_slice(end);
        } else {
            expected
                .extend_from_slice(b"GET /end?%22done%22 HTTP/1.1\r\nConnection: close\r\n\r\n");
        }
        (sent, expected)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Real sockets: 64 cases unless `PROPTEST_CASES` asks for more.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    /// hyper behind the rewriter, sent a connection, sees exactly what hyper alone sees when sent
    /// the same connection with its request-line queries encoded — or, from the first message
    /// hyper frames its own way, the bytes as they were: the same requests, bodies and responses.
    #[test]
    fn hyper_behind_the_rewriter_sees_what_hyper_sees_of_the_encoded_connection(
        (sent, expected) in connection(),
    ) {
        let servers = servers();
        let rewritten = exchange(servers.rewriting, &sent);
        let reference = exchange(servers.plain, &expected);
        prop_assert_eq!(rewritten, reference);
    }
}
