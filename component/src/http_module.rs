//! The `_wasipy_http` Python module: the one request this instance serves (read its head and body,
//! set the response, stream its body) and the outbound requests it sends, through the `wasi:http`
//! proxy world. It holds the wasi:http resources; `_wasipy_component` (py/) is its Python side.

use std::cell::RefCell;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingRequest, IncomingResponse, Method, OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions,
    ResponseOutparam, Scheme,
};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

pub(crate) use wasi_http::module_def;

/// The request being served. Each pair drops its stream before its body, as wasi:http requires.
struct Serving {
    request: IncomingRequest,
    outparam: Option<ResponseOutparam>,
    request_body: Option<(InputStream, IncomingBody)>,
    response_body: Option<(OutputStream, OutgoingBody)>,
    request_body_taken: bool,
}

/// A response to an outbound request, read by Python through its handle (its index here).
struct Outbound {
    body: Option<(InputStream, IncomingBody)>,
    _response: IncomingResponse,
}

thread_local! {
    // wasm32-wasip1 has one thread; an instance serves one request.
    static SERVING: RefCell<Option<Serving>> = const { RefCell::new(None) };
    static OUTBOUND: RefCell<Vec<Option<Outbound>>> = const { RefCell::new(Vec::new()) };
}

/// wasi:http's streams take at most 4096 bytes per blocking write.
const WRITE_CHUNK: usize = 4096;

/// Starts serving `request`: the Python side reads it from here.
pub fn begin(request: IncomingRequest, outparam: ResponseOutparam) {
    let serving = Serving { request, outparam: Some(outparam), request_body: None, response_body: None, request_body_taken: false };
    SERVING.with(|slot| *slot.borrow_mut() = Some(serving));
}

/// Ends the request once the handler returned (`code`, its exit status): a handler that set no
/// response (it raised before the app started one: the traceback is on stderr) answers 500; the
/// response body is finished.
pub fn end(code: u32) {
    let Some(mut serving) = SERVING.with(|slot| slot.borrow_mut().take()) else { return };
    if let Some(outparam) = serving.outparam.take() {
        let text = format!("500 Internal Server Error: the handler ended (status {code}) without a response; its traceback is in the server's log\n");
        if let Ok(body) = respond_with(outparam, 500, Fields::new()) {
            let stream = body.write().expect("a new body's stream");
            let _ = write_all(&stream, text.as_bytes());
            drop(stream);
            let _ = OutgoingBody::finish(body, None);
        }
    }
    if let Some((stream, body)) = serving.response_body.take() {
        let _ = stream.blocking_flush();
        drop(stream);
        let _ = OutgoingBody::finish(body, None);
    }
    OUTBOUND.with(|outbound| outbound.borrow_mut().clear());
}

fn respond_with(outparam: ResponseOutparam, status: u16, headers: Fields) -> Result<OutgoingBody, ()> {
    let response = OutgoingResponse::new(headers);
    response.set_status_code(status)?;
    let body = response.body()?;
    ResponseOutparam::set(outparam, Ok(response));
    Ok(body)
}

fn write_all(stream: &OutputStream, mut data: &[u8]) -> Result<(), StreamError> {
    while !data.is_empty() {
        let (chunk, rest) = data.split_at(data.len().min(WRITE_CHUNK));
        stream.blocking_write_and_flush(chunk)?;
        data = rest;
    }
    Ok(())
}

fn method_from(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    }
}

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Connect => "CONNECT",
        Method::Options => "OPTIONS",
        Method::Trace => "TRACE",
        Method::Patch => "PATCH",
        Method::Other(other) => other,
    }
    .to_owned()
}

/// How an outbound request failed, as the Python exception `urllib` and `http.client` callers
/// expect (urllib wraps an OSError in URLError).
fn error_text(code: &ErrorCode, authority: &str) -> (ErrorKind, String) {
    use ErrorKind::*;
    match code {
        ErrorCode::HttpRequestDenied => (Denied, format!("outbound HTTP to {authority} was not granted by the host (Spin: allowed_outbound_hosts; wasmtime serve allows every host)")),
        ErrorCode::DnsTimeout | ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout | ErrorCode::ConnectionWriteTimeout | ErrorCode::HttpResponseTimeout => {
            (Timeout, format!("timed out: {authority} ({code:?})"))
        }
        ErrorCode::ConnectionRefused => (Refused, format!("[Errno 111] Connection refused: {authority}")),
        ErrorCode::ConnectionTerminated | ErrorCode::ConnectionLimitReached => (Reset, format!("connection to {authority} ended: {code:?}")),
        ErrorCode::DnsError(payload) => (Other, format!("cannot resolve {authority}: {}", payload.rcode.clone().unwrap_or_else(|| "DNS error".to_owned()))),
        other => (Other, format!("outbound HTTP to {authority} failed: {other:?}")),
    }
}

enum ErrorKind {
    Denied,
    Timeout,
    Refused,
    Reset,
    Other,
}

#[rustpython_vm::pymodule(name = "_wasipy_http")]
mod wasi_http {
    use super::*;
    use rustpython_vm::builtins::{PyBaseExceptionRef, PyBytesRef};
    use rustpython_vm::function::ArgBytesLike;
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    fn no_request(vm: &VirtualMachine) -> PyBaseExceptionRef {
        vm.new_runtime_error("no wasi:http request is being served")
    }

    fn fields_to_python(fields: &Fields, vm: &VirtualMachine) -> PyObjectRef {
        let entries = fields
            .entries()
            .into_iter()
            .map(|(name, value)| vm.ctx.new_tuple(vec![vm.ctx.new_str(name).into(), vm.ctx.new_bytes(value).into()]).into())
            .collect();
        vm.ctx.new_list(entries).into()
    }

    fn fields_from_python(names: Vec<String>, values: Vec<PyBytesRef>, vm: &VirtualMachine) -> PyResult<Fields> {
        let list: Vec<(String, Vec<u8>)> = names.into_iter().zip(values).map(|(name, value)| (name, value.as_bytes().to_vec())).collect();
        Fields::from_list(&list).map_err(|e| vm.new_value_error(format!("wasi:http refused the headers: {e:?}")))
    }

    /// The request being served as `(method, scheme, authority, path_with_query, headers)`, the
    /// headers a list of `(name, value_bytes)`; None outside a request.
    #[pyfunction]
    fn request(vm: &VirtualMachine) -> PyObjectRef {
        SERVING.with(|slot| {
            let slot = slot.borrow();
            let Some(serving) = slot.as_ref() else { return vm.ctx.none() };
            let request = &serving.request;
            let optional = |text: Option<String>| text.map_or_else(|| vm.ctx.none(), |text| vm.ctx.new_str(text).into());
            let scheme = request.scheme().map(|scheme| match scheme {
                Scheme::Http => "http".to_owned(),
                Scheme::Https => "https".to_owned(),
                Scheme::Other(other) => other,
            });
            let headers = request.headers();
            let items = vec![
                vm.ctx.new_str(method_name(&request.method())).into(),
                optional(scheme),
                optional(request.authority()),
                optional(request.path_with_query()),
                fields_to_python(&headers, vm),
            ];
            vm.ctx.new_tuple(items).into()
        })
    }

    /// Up to `size` bytes of the request's body (fewer as they arrive); b"" at its end.
    #[pyfunction]
    fn read_body(size: usize, vm: &VirtualMachine) -> PyResult<Vec<u8>> {
        SERVING.with(|slot| {
            let mut slot = slot.borrow_mut();
            let serving = slot.as_mut().ok_or_else(|| no_request(vm))?;
            if serving.request_body.is_none() {
                if serving.request_body_taken {
                    return Ok(Vec::new());
                }
                serving.request_body_taken = true;
                let body = serving.request.consume().map_err(|()| vm.new_os_error("cannot read the request's body".to_owned()))?;
                let stream = body.stream().map_err(|()| vm.new_os_error("cannot read the request's body".to_owned()))?;
                serving.request_body = Some((stream, body));
            }
            let (stream, _) = serving.request_body.as_ref().unwrap();
            match stream.blocking_read(size.min(1 << 20) as u64) {
                Ok(bytes) => Ok(bytes),
                Err(StreamError::Closed) => {
                    serving.request_body = None;
                    Ok(Vec::new())
                }
                Err(StreamError::LastOperationFailed(e)) => Err(vm.new_os_error(format!("reading the request's body failed: {}", e.to_debug_string()))),
            }
        })
    }

    /// Sends the response's status and headers; its body follows with `write_body`.
    #[pyfunction]
    fn respond(status: u16, names: Vec<String>, values: Vec<PyBytesRef>, vm: &VirtualMachine) -> PyResult<()> {
        let headers = fields_from_python(names, values, vm)?;
        SERVING.with(|slot| {
            let mut slot = slot.borrow_mut();
            let serving = slot.as_mut().ok_or_else(|| no_request(vm))?;
            let outparam = serving.outparam.take().ok_or_else(|| vm.new_runtime_error("the response was already sent"))?;
            let body = respond_with(outparam, status, headers).map_err(|()| vm.new_value_error(format!("wasi:http refused the status {status}")))?;
            let stream = body.write().map_err(|()| vm.new_os_error("cannot write the response's body".to_owned()))?;
            serving.response_body = Some((stream, body));
            Ok(())
        })
    }

    /// Writes `data` to the response's body (after `respond`).
    #[pyfunction]
    fn write_body(data: ArgBytesLike, vm: &VirtualMachine) -> PyResult<()> {
        SERVING.with(|slot| {
            let slot = slot.borrow();
            let serving = slot.as_ref().ok_or_else(|| no_request(vm))?;
            let (stream, _) = serving.response_body.as_ref().ok_or_else(|| vm.new_runtime_error("no response was started"))?;
            data.with_ref(|bytes| write_all(stream, bytes))
                .map_err(|_| vm.new_exception_msg(vm.ctx.exceptions.broken_pipe_error.to_owned(), "the client no longer reads the response".into()))
        })
    }

    /// Sends a request, `target` `[method, scheme, authority, path_with_query]`, through the host's
    /// outgoing handler and waits for its response's head: `(status, headers, handle)`, the body
    /// then read with `read_response(handle, size)`. `timeout` (seconds) bounds connecting, the
    /// first byte and the time between bytes.
    #[pyfunction]
    fn send(
        target: Vec<String>,
        names: Vec<String>,
        values: Vec<PyBytesRef>,
        body: ArgBytesLike,
        timeout: Option<f64>,
        vm: &VirtualMachine,
    ) -> PyResult<PyObjectRef> {
        let [method, scheme, authority, path_with_query]: [String; 4] =
            target.try_into().map_err(|_| vm.new_type_error("send: target is [method, scheme, authority, path_with_query]"))?;
        let request = OutgoingRequest::new(fields_from_python(names, values, vm)?);
        let invalid = |what: &str| vm.new_value_error(format!("wasi:http refused the request's {what}"));
        request.set_method(&method_from(&method)).map_err(|()| invalid("method"))?;
        let scheme = match scheme.as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => Scheme::Other(other.to_owned()),
        };
        request.set_scheme(Some(&scheme)).map_err(|()| invalid("scheme"))?;
        request.set_authority(Some(&authority)).map_err(|()| invalid("authority"))?;
        request.set_path_with_query(Some(&path_with_query)).map_err(|()| invalid("path"))?;
        let options = RequestOptions::new();
        if let Some(seconds) = timeout.filter(|t| t.is_finite() && *t >= 0.0) {
            let nanoseconds = Some((seconds * 1e9) as u64);
            // A host that cannot bound one of them keeps its own.
            let _ = options.set_connect_timeout(nanoseconds);
            let _ = options.set_first_byte_timeout(nanoseconds);
            let _ = options.set_between_bytes_timeout(nanoseconds);
        }
        let outgoing_body = request.body().map_err(|()| invalid("body"))?;
        let raise = |code: &ErrorCode| {
            let (kind, text) = error_text(code, &authority);
            let exceptions = &vm.ctx.exceptions;
            let typ = match kind {
                ErrorKind::Denied => exceptions.permission_error,
                ErrorKind::Timeout => exceptions.timeout_error,
                ErrorKind::Refused => exceptions.connection_refused_error,
                ErrorKind::Reset => exceptions.connection_reset_error,
                ErrorKind::Other => exceptions.os_error,
            };
            vm.new_exception_msg(typ.to_owned(), text.into())
        };
        let future = outgoing_handler::handle(request, Some(options)).map_err(|code| raise(&code))?;
        // The body after `handle`: the host reads it while it is written (a large body would
        // otherwise fill the stream's buffer with nobody reading).
        let stream = outgoing_body.write().map_err(|()| invalid("body"))?;
        let written = body.with_ref(|bytes| write_all(&stream, bytes));
        drop(stream);
        let finished = OutgoingBody::finish(outgoing_body, None);
        future.subscribe().block();
        let response = match future.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(raise(&code)),
            Some(Err(())) | None => return Err(vm.new_os_error(format!("outbound HTTP to {authority}: no response"))),
        };
        if written.is_err() || finished.is_err() {
            // The server answered before taking the whole body: its answer stands.
        }
        let status = response.status();
        let headers = fields_to_python(&response.headers(), vm);
        let incoming = response.consume().map_err(|()| vm.new_os_error("cannot read the response's body".to_owned()))?;
        let stream = incoming.stream().map_err(|()| vm.new_os_error("cannot read the response's body".to_owned()))?;
        let handle = OUTBOUND.with(|outbound| {
            let mut outbound = outbound.borrow_mut();
            outbound.push(Some(Outbound { body: Some((stream, incoming)), _response: response }));
            outbound.len() - 1
        });
        Ok(vm.ctx.new_tuple(vec![vm.ctx.new_int(status).into(), headers, vm.ctx.new_int(handle).into()]).into())
    }

    /// Up to `size` bytes of an outbound response's body; b"" at its end.
    #[pyfunction]
    fn read_response(handle: usize, size: usize, vm: &VirtualMachine) -> PyResult<Vec<u8>> {
        OUTBOUND.with(|outbound| {
            let mut outbound = outbound.borrow_mut();
            let Some(Some(response)) = outbound.get_mut(handle) else { return Ok(Vec::new()) };
            let Some((stream, _)) = response.body.as_ref() else { return Ok(Vec::new()) };
            match stream.blocking_read(size.clamp(1, 1 << 20) as u64) {
                Ok(bytes) => Ok(bytes),
                Err(StreamError::Closed) => {
                    response.body = None;
                    Ok(Vec::new())
                }
                Err(StreamError::LastOperationFailed(e)) => {
                    response.body = None;
                    Err(vm.new_exception_msg(vm.ctx.exceptions.connection_reset_error.to_owned(), format!("reading the response failed: {}", e.to_debug_string()).into()))
                }
            }
        })
    }

    /// Lets go of an outbound response (its body unread is dropped).
    #[pyfunction]
    fn close_response(handle: usize) {
        OUTBOUND.with(|outbound| {
            if let Some(slot) = outbound.borrow_mut().get_mut(handle) {
                *slot = None;
            }
        });
    }
}
