//! `wasipy serve`: an HTTP/1.1 server on loopback that answers each request with a fresh
//! python.wasm instance run as a CGI/WAGI handler.

use crate::cgi;
use crate::grants::{self, DirGrant};
use crate::options::{GrantOptions, LimitOptions};
use crate::output::{CappedOutput, Sink};
use crate::sandbox::{Guest, GuestStdin, Sandbox};
use crate::verdict::Verdict;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Serve HTTP on a loopback address: every request runs a fresh python.wasm instance as a CGI/WAGI
/// handler (request in environment variables and on stdin, response on stdout).
///
/// Handlers are scripts (host paths inside a `--dir` grant). A WSGI application needs a one-line
/// handler: `import wasipy_cgi, app; wasipy_cgi.run(app.application)`.
#[derive(clap::Args, Debug)]
pub struct ServeCommand {
    /// The address to listen on; port 0 picks a free one (the first line on stderr names it).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// Route requests under PATH to HANDLER (`--route /api=api.py`); the longest matching route wins.
    #[arg(long = "route", value_name = "PATH=HANDLER")]
    routes: Vec<String>,

    #[command(flatten)]
    grants: GrantOptions,

    #[command(flatten)]
    limits: LimitOptions,

    /// The handler for every path not routed elsewhere.
    #[arg(value_name = "HANDLER")]
    handler: Option<String>,
}

/// One route: requests whose path is `prefix` or lies under it run `script` (a guest path).
struct Route {
    prefix: String,
    script: String,
}

struct Server {
    sandbox: Sandbox,
    routes: Vec<Route>,
    dirs: Vec<DirGrant>,
    env: Vec<(String, String)>,
    limits: crate::limits::Limits,
    local: SocketAddr,
}

/// Default limits for a request: a handler stuck in a loop must not hold a worker forever.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl ServeCommand {
    pub fn execute(self) -> Result<i32, String> {
        if !self.listen.ip().is_loopback() {
            return Err(format!("--listen {}: wasipy serve is a development server and listens on loopback only", self.listen));
        }
        let (dirs, env) = self.grants.resolve()?;
        let mut routes = Vec::new();
        for route in &self.routes {
            let (prefix, handler) = route
                .split_once('=')
                .filter(|(prefix, handler)| prefix.starts_with('/') && !handler.is_empty())
                .ok_or_else(|| format!("invalid --route {route:?} (expected /PATH=HANDLER)"))?;
            let prefix = prefix.trim_end_matches('/').to_owned();
            routes.push(Route { prefix, script: grants::script_guest_path(handler, &dirs)? });
        }
        if let Some(handler) = &self.handler {
            routes.push(Route { prefix: String::new(), script: grants::script_guest_path(handler, &dirs)? });
        }
        if routes.is_empty() {
            return Err("nothing to serve: give a HANDLER script or --route /PATH=HANDLER".into());
        }
        // Longest prefix first, so that /api/v2 wins over /api.
        routes.sort_by_key(|route| std::cmp::Reverse(route.prefix.len()));
        let mut limits = self.limits.limits();
        limits.timeout = Some(limits.timeout.unwrap_or(DEFAULT_TIMEOUT));
        let sandbox = self.limits.load_sandbox(false, true)?;

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(self.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {}", self.listen, grants::plain_io_error(&e)))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            eprintln!("wasipy: serving on http://{local}");
            let server = Arc::new(Server { sandbox, routes, dirs, env, limits, local });
            serve(listener, server).await;
            Ok(0)
        })
    }
}

/// Accepts connections until Ctrl-C (or SIGTERM), then waits for the requests in flight.
async fn serve(listener: tokio::net::TcpListener, server: Arc<Server>) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let server = server.clone();
                let service = hyper::service::service_fn(move |request| {
                    let server = server.clone();
                    async move { Ok::<_, std::convert::Infallible>(server.handle(request, peer).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            _ = &mut stop => {
                eprintln!("wasipy: stopping: waiting for the requests in flight");
                break;
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("install a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

impl Server {
    async fn handle(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let started = Instant::now();
        let method = request.method().to_string();
        let target = request.uri().path_and_query().map(|pq| pq.to_string()).unwrap_or_else(|| "/".into());
        let response = self.respond(request, peer).await;
        eprintln!("{method} {target} {} {:.1}ms", response.status().as_u16(), started.elapsed().as_secs_f64() * 1000.0);
        response
    }

    async fn respond(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        let Some(route) = self.routes.iter().find(|route| {
            route.prefix.is_empty() || path == route.prefix || path.starts_with(&format!("{}/", route.prefix))
        }) else {
            return plain(StatusCode::NOT_FOUND, "no route for this path\n");
        };
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => return plain(StatusCode::BAD_REQUEST, &format!("cannot read the request body: {e}\n")),
        };
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        let peer_ip = peer.ip().to_string();
        let server_name = self.local.ip().to_string();
        let protocol = format!("{:?}", parts.version);
        let cgi_request = cgi::Request {
            method: parts.method.as_str(),
            route: &route.prefix,
            path: &path,
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body_len: body.len(),
            server_name: &server_name,
            server_port: self.local.port(),
            remote_addr: &peer_ip,
            protocol: &protocol,
        };
        let mut env = self.env.clone();
        env.extend(cgi::environ(&cgi_request));

        let stdout = CappedOutput::new(Sink::Capture, self.limits.max_output);
        // The handler's stderr is the server's log.
        let stderr = CappedOutput::new(Sink::HostStderr, self.limits.max_output);
        let guest = Guest {
            argv: vec!["python".to_owned(), route.script.clone()],
            env,
            dirs: self.dirs.clone(),
            stdin: GuestStdin::Bytes(body),
            stdout: stdout.clone(),
            stderr,
        };
        let outcome = match self.sandbox.run(guest, &self.limits).await {
            Ok(outcome) => outcome,
            Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("cannot run the handler: {e:#}\n")),
        };
        match outcome.verdict {
            Verdict::Timeout => return plain(StatusCode::GATEWAY_TIMEOUT, "the handler ran past its time limit\n"),
            Verdict::Memory => return plain(StatusCode::SERVICE_UNAVAILABLE, "the handler ran out of memory\n"),
            Verdict::Fuel | Verdict::Trap => return plain(StatusCode::BAD_GATEWAY, "the handler crashed\n"),
            Verdict::Ok | Verdict::Error => {}
        }
        let output = stdout.captured();
        let Some(parsed) = cgi::parse_response(&output) else {
            return plain(StatusCode::BAD_GATEWAY, "the handler wrote no CGI response (headers, a blank line, the body)\n");
        };
        let mut response = Response::builder().status(parsed.status);
        for (name, value) in &parsed.headers {
            response = response.header(name, value);
        }
        let body = Bytes::from(output).slice(parsed.body_start..);
        response
            .body(Full::new(body))
            .unwrap_or_else(|_| plain(StatusCode::BAD_GATEWAY, "the handler wrote an invalid header\n"))
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(text.to_owned())))
        .expect("a plain response is valid")
}
