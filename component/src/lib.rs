//! python-http.wasm's core module: python.wasm's interpreter (the `wasipy_python` library) serving
//! one `wasi:http` request per instance. The incoming handler is this artifact's run mode: no
//! command line, the snapshot's interpreter (cut by `wasipy snapshot --component`) runs the app's
//! handler script, whose `wasipy_cgi.run(app)` serves the request through `_wasipy_http`.

#[cfg(target_os = "wasi")]
mod http_module;

#[cfg(target_os = "wasi")]
mod component {
    use crate::http_module;
    use std::collections::BTreeMap;
    use wasipy_python::config::{self, Action};
    use wasipy_python::interpreter::{self, Extension};
    use wasipy_python::{capabilities, run, snapshot};
    use wasip2::http::types::{IncomingRequest, ResponseOutparam};

    /// What the component adds to the interpreter: the request and outbound HTTP (`_wasipy_http`),
    /// and their Python side, imported at start-up (it routes `http.client` through wasi:http).
    static EXTENSION: Extension = Extension {
        native_modules: |ctx| vec![http_module::module_def(ctx)],
        python_modules: &[("_wasipy_component", include_str!("../py/_wasipy_component.py"))],
    };

    /// wizer's init function, as python.wasm's (`snapshot::initialize`), with the extension.
    #[unsafe(export_name = "wasipy_initialize")]
    pub extern "C" fn initialize() {
        interpreter::extend(&EXTENSION);
        snapshot::initialize();
    }

    struct Component;

    impl wasip2::exports::http::incoming_handler::Guest for Component {
        fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
            capabilities::forget_build_host();
            interpreter::extend(&EXTENSION);
            // The proxy world has no arguments and no environment: python's defaults.
            let Action::Run(config) = config::resolve(vec!["python".to_owned()], BTreeMap::new(), false) else {
                unreachable!("python with no arguments runs");
            };
            http_module::begin(request, response_out);
            let code = run::serve_request(&config);
            http_module::end(code);
        }
    }

    wasip2::http::proxy::export!(Component);
}
