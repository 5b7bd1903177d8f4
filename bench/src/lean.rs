//! A lean HTTP/1.1 client for the lookups of the million-account workload: hyper's own
//! connection, one per request in flight, without reqwest's pool, redirect and header handling.
//! The load generator shares the server's two cores, and reqwest took about as much CPU per
//! lookup as the server did (~33 µs against ~37 µs, measured from /proc), so its cost showed up
//! as the server's queueing latency.

use anyhow::Context;
use http_body_util::{BodyExt, Empty};
use hyper::{
    Request, StatusCode,
    body::Bytes,
    client::conn::http1::{self, SendRequest},
    header::{AUTHORIZATION, HOST},
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One keep-alive connection to the server.
pub struct Connection {
    addr: String,
    sender: SendRequest<Empty<Bytes>>,
}

impl Connection {
    pub async fn open(addr: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self {
            addr: addr.to_owned(),
            sender,
        })
    }

    /// `GET path_and_query` with a bearer token: the status and the body's length.
    pub async fn get(
        &mut self,
        path_and_query: &str,
        token: &str,
    ) -> anyhow::Result<(StatusCode, usize)> {
        self.sender.ready().await?;
        let request = Request::get(path_and_query)
            .header(HOST, &self.addr)
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .body(Empty::new())?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body.len()))
    }
}
