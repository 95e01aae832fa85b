# Sluice: every command sets up what it needs, idempotently, on a fresh Debian machine with rustup.
#   make run     the server (examples/sluice.toml) on 127.0.0.1:8080, the host page on :8081,
#                the example webhook receiver on :8090
#   make test    everything CI checks: no yanked crate, format, lints (native and wasm32), docs,
#                Rust tests (the server's against the real binary, PostgreSQL and an S3 server
#                started by the tests), the npm package's, the widget's and the dashboard's
#                tests in Node and Chromium, fuzz smoke
#   make bench   parser throughput on a generated 1,000,000-row file (and a header of 10,000
#                columns of one name), native and in Chromium; the server under 50 concurrent
#                imports; delivery to webhooks, PostgreSQL and S3; the widget end to end; a
#                100,000-row workbook
#                against SheetJS
#   make report  the parser alone: validate the files in examples/ and print a report
#   make upload  while `make run` runs: the upload example sends FILE (default
#                examples/contacts-excel-fr.csv) to it as the widget would, reusing the build
#   make fuzz    each fuzz target for FUZZ_SECONDS (default 300) with coverage
#   make lint / make fmt

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# One target directory for every checkout on this machine, so repeated CI runs build warm.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/sluice/target
FUZZ_TARGET_DIR ?= $(HOME)/.cache/sluice/fuzz-target
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 15
HOST := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
FUZZ_TARGETS := reader_chunks import batch_decode schema workbook
# wasm-bindgen's command line is built from tools/wasm-bindgen with this repository's lock file
# (the lock published with wasm-bindgen-cli pins a yanked crate); its version must equal the
# wasm-bindgen crate's, pinned in parser-wasm/Cargo.toml.
WASM_BINDGEN_VERSION := 0.2.129
CARGO_HOME_DIR := $(or $(CARGO_HOME),$(HOME)/.cargo)
LOCK_FILES := Cargo.lock fuzz/Cargo.lock tools/wasm-bindgen/Cargo.lock
WASM_OUT := parser-wasm/npm/wasm
WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
NODE_BIN := node_modules/.bin
# The tests' S3-compatible server (moto, from PyPI) lives in this virtual environment; the tests
# start PostgreSQL from Debian's package themselves (ingest-server/tests/support/services.rs).
export TEST_VENV ?= $(HOME)/.cache/sluice/venv
FUZZ_RUSTFLAGS := -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
	-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
	-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing

.PHONY: help setup setup-test wasm widget run upload report test lint fmt doc unit js-test fuzz-build fuzz-smoke fuzz bench

help:
	@sed -n '2,15p' Makefile | sed 's/^# //'

setup:
	@command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@command -v c++ >/dev/null || { apt-get update -qq && apt-get install -y -qq g++ >/dev/null; }
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup target list --installed | grep -q '^wasm32-unknown-unknown' || rustup target add wasm32-unknown-unknown
	@grep -qs '^"sluice-wasm-bindgen $(WASM_BINDGEN_VERSION) ' $(CARGO_HOME_DIR)/.crates.toml || \
		cargo install --locked --force --path tools/wasm-bindgen
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	@[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error

# What only the tests and benchmarks need: Debian's Chromium, and xlwt for the .xls fixture.
setup-test: setup
	@[ -x /usr/bin/chromium ] || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@/usr/bin/python3 -c 'import xlwt' 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-xlwt >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
	@[ $(TEST_VENV)/.installed -nt tools/test-services/requirements.txt ] || { \
		python3 -m venv $(TEST_VENV) && $(TEST_VENV)/bin/pip install -q --disable-pip-version-check \
			-r tools/test-services/requirements.txt && touch $(TEST_VENV)/.installed; }

# The npm package's WebAssembly: wasm32 build (no TOML, no encoding tables, profile wasm), wasm-bindgen
# glue, then wasm-opt -Oz (npm binaryen); then the same with the spreadsheet reader (calamine), the
# second module, which only a workbook needs, built for size (profile wasm-sheets). Each module is
# built twice, with simd128 (memchr's and the compiler's vector code) and without, for engines
# that lack it; the simd builds have their own target directory, so neither invalidates the other,
# and share the scalar build's glue (the build checks it is the same). The package picks one at load.
WASM_TARGET := $(CARGO_TARGET_DIR)/wasm32-unknown-unknown
WASM_SIMD_DIR := $(CARGO_TARGET_DIR)/simd
WASM_SIMD_TARGET := $(WASM_SIMD_DIR)/wasm32-unknown-unknown
WASM_BUILD := cargo build --locked -p sluice-parser --lib --target wasm32-unknown-unknown --no-default-features
WASM_SIZE = @printf '%s: %s bytes, %s gzipped\n' $(notdir $@) $$(wc -c < $@) $$(gzip -9 -c $@ | wc -c)

# The CSV module inlines less than opt-level 3 would (LLVM's threshold 50 instead of 250): 5% smaller
# gzipped and as fast in Chromium (docs/parser.md, "Size against speed"). Not for the spreadsheet
# module: at opt-level "z" the threshold would raise its own.
WASM_CSV_FLAGS := -C llvm-args=-inline-threshold=50

wasm: setup
	RUSTFLAGS='$(WASM_CSV_FLAGS)' $(WASM_BUILD) --profile wasm
	RUSTFLAGS='-C target-feature=+simd128 $(WASM_CSV_FLAGS)' $(WASM_BUILD) --profile wasm --target-dir $(WASM_SIMD_DIR)
	$(WASM_BUILD) --profile wasm-sheets --features spreadsheets
	RUSTFLAGS='-C target-feature=+simd128' $(WASM_BUILD) --profile wasm-sheets --features spreadsheets --target-dir $(WASM_SIMD_DIR)
	@$(MAKE) --no-print-directory $(WASM_OUT)/sluice_parser_bg.wasm $(WASM_OUT)/sluice_parser_simd_bg.wasm \
		$(WASM_OUT)/sluice_parser_sheets_bg.wasm $(WASM_OUT)/sluice_parser_sheets_simd_bg.wasm

# Glue and wasm-opt only when cargo wrote a new module (it leaves an up-to-date one untouched).
# The glue's declarations (.d.ts) are for `tsc --checkJs` (make lint); the package ships none.
$(WASM_OUT)/sluice_parser_bg.wasm $(WASM_OUT)/sluice_parser.d.ts &: $(WASM_TARGET)/wasm/sluice_parser.wasm
	wasm-bindgen --target web --out-dir $(WASM_OUT) --out-name sluice_parser $<
	$(NODE_BIN)/wasm-opt -Oz $(WASM_FEATURES) $(WASM_OUT)/sluice_parser_bg.wasm -o $(WASM_OUT)/sluice_parser_bg.wasm
	$(WASM_SIZE)

$(WASM_OUT)/sluice_parser_simd_bg.wasm: $(WASM_SIMD_TARGET)/wasm/sluice_parser.wasm $(WASM_OUT)/sluice_parser.d.ts
	wasm-bindgen --target web --out-dir $(WASM_SIMD_DIR)/glue --out-name sluice_parser $<
	@cmp -s $(WASM_SIMD_DIR)/glue/sluice_parser.js $(WASM_OUT)/sluice_parser.js || \
		{ echo "the simd128 module's glue differs from the scalar module's: rebuild both (make wasm)"; exit 1; }
	$(NODE_BIN)/wasm-opt -Oz $(WASM_FEATURES) --enable-simd $(WASM_SIMD_DIR)/glue/sluice_parser_bg.wasm -o $@
	$(WASM_SIZE)

$(WASM_OUT)/sluice_parser_sheets_bg.wasm $(WASM_OUT)/sluice_parser_sheets.d.ts &: $(WASM_TARGET)/wasm-sheets/sluice_parser.wasm
	wasm-bindgen --target web --out-dir $(WASM_OUT) --out-name sluice_parser_sheets $<
	$(NODE_BIN)/wasm-opt -Oz $(WASM_FEATURES) $(WASM_OUT)/sluice_parser_sheets_bg.wasm -o $(WASM_OUT)/sluice_parser_sheets_bg.wasm
	$(WASM_SIZE)

$(WASM_OUT)/sluice_parser_sheets_simd_bg.wasm: $(WASM_SIMD_TARGET)/wasm-sheets/sluice_parser.wasm $(WASM_OUT)/sluice_parser_sheets.d.ts
	wasm-bindgen --target web --out-dir $(WASM_SIMD_DIR)/glue --out-name sluice_parser_sheets $<
	@cmp -s $(WASM_SIMD_DIR)/glue/sluice_parser_sheets.js $(WASM_OUT)/sluice_parser_sheets.js || \
		{ echo "the simd128 spreadsheet module's glue differs from the scalar one's: rebuild both (make wasm)"; exit 1; }
	$(NODE_BIN)/wasm-opt -Oz $(WASM_FEATURES) --enable-simd $(WASM_SIMD_DIR)/glue/sluice_parser_sheets_bg.wasm -o $@
	$(WASM_SIZE)

# @sluice/widget: type-checked, bundled by esbuild into widget-js/dist (loader, importer app,
# parser worker, WebAssembly, each with a .gz; the app's files under content-hashed names),
# which the server embeds when it is built; @sluice/react and @sluice/vue into their dist/.
# Only files whose bytes changed are written, so an unchanged tree rebuilds no server.
widget: wasm
	$(NODE_BIN)/tsc -p widget-js/tsconfig.json
	node widget-js/build.mjs

# The server in the foreground on loopback, with the demo importer; its data and master key go
# to examples/data/, its master key to examples/keys/ (neither tracked). `make report` is the
# parser's report on examples/ instead.
run: widget
	cargo build --locked --release -q -p sluice-server --bin sluice
	$(CARGO_TARGET_DIR)/release/sluice check-config examples/sluice.toml
	@mkdir -p examples/data && chmod 700 examples/data
	@[ ! -e examples/data/master.key ] || [ -e examples/keys/master.key ] || { mkdir -p -m 700 examples/keys && \
		mv examples/data/master.key examples/keys/master.key && echo "moved examples/data/master.key to examples/keys/ (apart from the data)"; }
	@[ -s examples/data/admin.token ] || (umask 077 && head -c 32 /dev/urandom | base64 > examples/data/admin.token)
	@secret=$$(sed -n 's/^secret = "\(whsec_[^"]*\)"$$/\1/p' examples/sluice.toml); \
		SLUICE_WEBHOOK_SECRET=$$secret node examples/webhook-receiver.mjs --port 8090 --out examples/data/received & receiver=$$!; \
		node examples/host-server.mjs --port 8081 --sluice http://127.0.0.1:8080 & host=$$!; \
		trap 'kill $$host $$receiver 2>/dev/null' EXIT INT TERM; \
		echo "open the example host page: http://127.0.0.1:8081/ (or, from another terminal:"; \
		echo "  make upload FILE=examples/contacts.csv)"; \
		echo "rows are delivered to the example webhook receiver on :8090, which writes examples/data/received/<import>.jsonl"; \
		echo "operator dashboard: http://127.0.0.1:8080/admin (sign in with the admin token: cat examples/data/admin.token)"; \
		SLUICE_ADMIN_TOKEN=$$(cat examples/data/admin.token) $(CARGO_TARGET_DIR)/release/sluice serve --config examples/sluice.toml

# The upload example against `make run`'s server; it shares the release build's dependencies.
FILE ?= examples/contacts-excel-fr.csv
upload: setup
	cargo run --locked --release -q -p sluice-server --example upload -- http://127.0.0.1:8080 demo $(FILE)

report: setup
	cargo run --locked --release -q -p sluice-parser --example report -- \
		examples/schema.toml examples/contacts.csv examples/contacts-excel-fr.csv

test: setup-test widget lint doc unit js-test fuzz-smoke
	@echo "make test: all checks passed"

lint: wasm
	python3 tools/yanked.py $(LOCK_FILES)
	cargo fmt --all --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked -p sluice-parser --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings
	cargo clippy --locked -p sluice-parser --lib --target wasm32-unknown-unknown --no-default-features \
		--features spreadsheets -- -D warnings
	for file in ingest-server/admin/admin.js examples/*.mjs; do node --check $$file; done
	$(NODE_BIN)/tsc -p widget-js/tsconfig.json
	$(NODE_BIN)/tsc -p tsconfig.js.json
	$(NODE_BIN)/biome ci --max-diagnostics=50 .

fmt:
	cargo fmt --all
	$(NODE_BIN)/biome format --write .

doc:
	RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps

# The server's protocol, durability, delivery and deletion tests run a second time on
# PostgreSQL with sealed batches in S3 (one cluster and one moto per test binary, started by
# ingest-server/tests/support/backend.rs); --workspace, so that it reuses the build above.
STORE_SUITES := --test protocol --test durability --test delivery --test deletion

unit: setup-test widget
	cargo test --locked --workspace
	SLUICE_TEST_STORE=postgres cargo test --locked --workspace $(STORE_SUITES)

# @sluice/parser: Node tests, headless Chromium tests (Debian chromium), and the packed
# tarball installed into a fresh project running the README's examples. @sluice/widget: the
# example host page, the real server and Chromium through every step (screenshots in
# widget-js/test/artifacts/). Both read a workbook that parser-wasm/examples/make_workbook.rs
# writes, built here so that no test waits for the compiler.
js-test: setup-test widget
	cargo build --locked -q -p sluice-parser --example make_workbook
	node --test parser-wasm/npm/test/*.test.mjs examples/test/*.test.mjs
	cargo build --locked -q -p sluice-server --bin sluice --example upload
	node --test widget-js/test/*.test.mjs ingest-server/admin/test/*.test.mjs

fuzz-build: setup
	cd fuzz && CARGO_TARGET_DIR=$(FUZZ_TARGET_DIR) RUSTFLAGS="$(FUZZ_RUSTFLAGS)" \
		cargo build --locked --release --target $(HOST)

# Each target briefly, from an empty corpus: CI proves the targets build and run clean.
fuzz-smoke: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		corpus=$$(mktemp -d); \
		echo "fuzz $$t for $(FUZZ_SMOKE_SECONDS)s"; \
		$(FUZZ_TARGET_DIR)/$(HOST)/release/$$t -max_total_time=$(FUZZ_SMOKE_SECONDS) -max_len=2048 \
			-rss_limit_mb=2048 -print_final_stats=0 $$corpus 2>&1 | grep -E '^(Done|==|SUMMARY|panicked|thread)' ; \
		rm -rf $$corpus; \
	done

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$t fuzz/artifacts/$$t; \
		$(FUZZ_TARGET_DIR)/$(HOST)/release/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			-rss_limit_mb=2048 -artifact_prefix=fuzz/artifacts/$$t/ fuzz/corpus/$$t; \
	done

BENCH_DIR ?= $(HOME)/.cache/sluice/bench

# Native throughput (also a header of 10,000 columns of one name); the release server on loopback under 50 concurrent imports of sealed
# 1,000-row batches; in headless Chromium, @sluice/parser (its simd128 and scalar builds) against
# uDSV, uDSV with a JavaScript validation and Papa Parse on the generated 1,000,000-row file and
# on the same rows with no quotes (--plain), and memory on it and on a generated 1 GB file; then the widget
# end to end on that file, from file pick to a complete import, and its sizes.
# The load benchmark's S3 server: s3s-fs, a Rust S3 server from crates.io (moto, in Python, would
# take most of the CPU the instances measured need).
S3S_FS := $(HOME)/.cache/sluice/tools/bin/s3s-fs

bench: setup-test widget
	@[ -x $(S3S_FS) ] || cargo install --locked s3s-fs --version 0.14.1 --features binary --root $(HOME)/.cache/sluice/tools
	cargo bench --locked -p sluice-parser --bench throughput
	SLUICE_S3S_FS=$(S3S_FS) cargo bench --locked -p sluice-server --bench load
	cargo bench --locked -p sluice-server --bench delivery
	@mkdir -p $(BENCH_DIR)
	@[ -s $(BENCH_DIR)/bench-1m.csv ] || cargo run --locked --release -q -p sluice-parser --example gen_bench_csv -- $(BENCH_DIR)/bench-1m.csv 1000000
	@[ -s $(BENCH_DIR)/bench-1g.csv ] || cargo run --locked --release -q -p sluice-parser --example gen_bench_csv -- $(BENCH_DIR)/bench-1g.csv 8100000
	@[ -s $(BENCH_DIR)/bench-1m-plain.csv ] || cargo run --locked --release -q -p sluice-parser --example gen_bench_csv -- --plain $(BENCH_DIR)/bench-1m-plain.csv 1000000
	node parser-wasm/npm/bench/chromium.mjs $(BENCH_DIR)/bench-1m.csv $(BENCH_DIR)/bench-1g.csv --plain $(BENCH_DIR)/bench-1m-plain.csv
	@[ -s $(BENCH_DIR)/bench-100k.xlsx ] || cargo run --locked --release -q -p sluice-parser --example gen_bench_xlsx -- $(BENCH_DIR)/bench-100k.xlsx 100000
	node parser-wasm/npm/bench/sheets.mjs $(BENCH_DIR)/bench-100k.xlsx
	cargo build --locked --release -q -p sluice-server --bin sluice
	node --experimental-websocket widget-js/bench/e2e.mjs $(BENCH_DIR)/bench-1m.csv
