//! A scripted HTTP server for the simulator's own tests: it answers each request with the next
//! canned response (repeating the last), so throttling and quarantine can be tested without a
//! real SCIM server. Every answer closes the connection, so each request is one accept.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// One canned answer: status, extra headers, JSON body.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Canned {
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// A running fake server: its base URL and how many requests it has answered.
#[derive(Debug)]
pub struct FakeServer {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
}

pub async fn start(script: Vec<Canned>) -> FakeServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/scim/v2/org", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let canned = script[n.min(script.len() - 1)].clone();
            // Read the head; the scripted answers do not depend on the request.
            let mut buffer = vec![0; 16 * 1024];
            let _ = socket.read(&mut buffer).await;
            let mut head = format!(
                "HTTP/1.1 {} X\r\ncontent-type: application/scim+json\r\ncontent-length: {}\r\nconnection: close\r\n",
                canned.status,
                canned.body.len()
            );
            for (name, value) in &canned.headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(canned.body.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    FakeServer { url, requests }
}
