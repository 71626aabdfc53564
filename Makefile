# crmwire: build, package and test. `make demo` and `make test` are the two entry points
# (README.md); everything else is a building block. Works on a fresh Debian 12 machine as root.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := pkg

# A stable target dir outside the clone keeps warm CI runs incremental (toolchain.md, "Caching tips").
CARGO_TARGET_DIR ?= $(HOME)/.cache/crmwire-target
export CARGO_TARGET_DIR
export PATH := $(HOME)/.cargo/bin:$(PATH)
export CHROMEDRIVER ?= /usr/bin/chromedriver
# npm: no audit/fund noise; the .npmrc `nodedir` warning is harmless.
NPM_FLAGS := --no-audit --no-fund --loglevel=error

JS       := tests/js
WASM_OPT := $(JS)/node_modules/.bin/wasm-opt
WASM     := $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/release/crmwire.wasm
GEN      := pkg/gen
# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock.
WB_VER    = $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/"/,"",$$3); print $$3}' Cargo.lock)

.PHONY: setup setup-rust setup-js setup-chromium pkg wasm-build sim test test-native test-lint test-wasm \
        test-pkg test-bundlers setup-bundlers test-js test-browser test-types test-docs \
        test-proxy test-ext test-www test-bench-quick link-pkg demo demo-node bench size clean-pkg \
        setup-n8n test-n8n setup-fuzz fuzz-corpus fuzz test-fuzz

## ---------------------------------------------------------------- setup (idempotent)
setup: setup-rust setup-js setup-chromium

setup-rust:
	rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WB_VER)" ]; then \
	  echo "installing wasm-bindgen-cli $(WB_VER) (about 2.5 min)"; \
	  cargo install wasm-bindgen-cli --version "$(WB_VER)" --locked \
	    || cargo install wasm-bindgen-cli --version "$(WB_VER)"; \
	fi

# npm install, not npm ci: deno's lockfile lacks other platforms' packages (toolchain.md G7).
setup-js:
	@if [ ! -f $(JS)/node_modules/.package-lock.json ] || [ $(JS)/package-lock.json -nt $(JS)/node_modules/.package-lock.json ] \
	    || [ $(JS)/package.json -nt $(JS)/node_modules/.package-lock.json ]; then \
	  cd $(JS) && npm install $(NPM_FLAGS); \
	fi

# The bundler matrix's own tools (tests/js/bundlers: vite, esbuild, webpack, wrangler, CRXJS, Node
# 18/22 binaries); installed only when its lockfile or package.json changed, like setup-js.
BUNDLERS := $(JS)/bundlers
setup-bundlers:
	@if [ ! -f $(BUNDLERS)/node_modules/.package-lock.json ] || [ $(BUNDLERS)/package-lock.json -nt $(BUNDLERS)/node_modules/.package-lock.json ] \
	    || [ $(BUNDLERS)/package.json -nt $(BUNDLERS)/node_modules/.package-lock.json ]; then \
	  cd $(BUNDLERS) && npm install $(NPM_FLAGS); \
	fi

setup-chromium:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

## ---------------------------------------------------------------- package
# One wasm module per entry point, each with only its protocols (cargo features, Cargo.toml):
#   crmwire (vtiger,perfex)  crmwire/vtiger (vtiger)  crmwire/perfex (perfex)  crmwire/proxy (proxy)
# Cargo keeps one crmwire.wasm per target dir whatever the features, so each build is copied out to
# $(WASM_STAGE)/<flavour>.wasm, and rebuilt only when a Rust source, Cargo.toml or Cargo.lock changed.
FLAVOURS := crmwire vtiger perfex proxy
FEATURES_crmwire := vtiger,perfex
FEATURES_vtiger := vtiger
FEATURES_perfex := perfex
FEATURES_proxy := proxy
WASM_STAGE := $(CARGO_TARGET_DIR)/pkg-wasm
RUST_SRCS = $(shell find src -name '*.rs') Cargo.toml Cargo.lock

$(WASM_STAGE)/%.wasm: $(RUST_SRCS)
	cargo build --release --locked --target wasm32-unknown-unknown -p crmwire --no-default-features --features slim,$(FEATURES_$*)
	@mkdir -p $(WASM_STAGE) && cp $(WASM) $@

wasm-build: $(FLAVOURS:%=$(WASM_STAGE)/%.wasm)
# Built through pattern rules, but not intermediates: make must not delete them.
.SECONDARY: $(FLAVOURS:%=$(WASM_STAGE)/%.wasm) $(FLAVOURS:%=$(GEN)/%_bg.wasm)

# One `--target web` glue per module (bundled into each entry, not shipped); thin hand-written
# entries pick the loader (tests/js/tools/bundle.mjs). wasm-opt from npm binaryen (Debian's 108
# corrupts the module, toolchain.md G3). --converge repeats -Oz until it stops shrinking;
# --low-memory-unused lets it fold addresses below 1 KB (Rust's data and stack start at 1 MiB).
# Together about 1 KB gzip. -ocimfs 0: no inlining of a function into its only caller beyond -Oz's
# size rules (binaryen's default inlines any size), so the driver's per-task arms, kept out of line
# in Rust, stay functions of their own: V8 compiles a wasm function whole on its first call, and
# one export with the whole driver inlined cost a first login ~2 ms. Also 5 KB gzip smaller.
# The benchmark's size floor (tests/bench/lib/twiggy.mjs) reads these two lines: keep them one line each.
WASM_BINDGEN_FLAGS := --target web --weak-refs --remove-name-section --remove-producers-section
WASM_OPT_FLAGS := -Oz --converge --low-memory-unused -ocimfs 0
# Each step is redone only when its inputs changed (a warm `make demo` skips the slow wasm-opt pass).
# single-value.mjs: exports return one value each (Node 20 compiles the module about 4 ms faster).
$(GEN)/%_bg.wasm: $(WASM_STAGE)/%.wasm Makefile $(JS)/tools/strip-glue.mjs $(JS)/tools/single-value.mjs $(WASM_OPT)
	@mkdir -p $(GEN)
	node $(JS)/tools/single-value.mjs $< $(WASM_STAGE)/$*.sv.wasm
	wasm-bindgen $(WASM_BINDGEN_FLAGS) --out-dir $(GEN) --out-name $* $(WASM_STAGE)/$*.sv.wasm
	node $(JS)/tools/strip-glue.mjs $(GEN)/$*.js
	$(WASM_OPT) $(WASM_OPT_FLAGS) $@ -o $@
	rm -f $(GEN)/$*_bg.wasm.d.ts $(GEN)/$*.d.ts $(GEN)/.gitignore

# pkg/gen/<flavour>-<runtime>.js: one ES module per entry point and runtime (esbuild).
$(GEN)/.bundled: $(FLAVOURS:%=$(GEN)/%_bg.wasm) $(wildcard pkg/*.js) $(JS)/tools/bundle.mjs
	node $(JS)/tools/bundle.mjs
	@touch $@

pkg: setup-rust setup-js
	@$(MAKE) --no-print-directory $(GEN)/.bundled
	node $(JS)/tools/size.mjs

size:
	node $(JS)/tools/size.mjs

## ---------------------------------------------------------------- tests
# The phases of `make test`, in order; each is timed and the timings are printed at the end.
# `make test KEEP_GOING=1` runs every phase even after a failure (and still fails at the end).
TEST_PHASES := setup test-lint test-native pkg sim test-wasm test-pkg test-bundlers test-js test-browser test-types \
               test-docs test-proxy test-ext test-www test-n8n test-bench-quick test-fuzz

test:
	@total=$$(date +%s); report=""; failed=""; \
	for p in $(TEST_PHASES); do \
	  s=$$(date +%s); echo "==> make $$p"; \
	  if $(MAKE) --no-print-directory $$p; then \
	    report="$$report  $$p: $$(( $$(date +%s) - s ))s\n"; \
	  else \
	    report="$$report  $$p: FAILED after $$(( $$(date +%s) - s ))s\n"; failed="$$failed $$p"; \
	    if [ -z "$(KEEP_GOING)" ]; then break; fi; \
	  fi; \
	done; \
	echo "make test: phase timings"; echo -en "$$report"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed ($$(( $$(date +%s) - total ))s)"; exit 1; fi; \
	echo "make test: all green in $$(( $$(date +%s) - total ))s"

test-native:
	cargo test --locked -p crmwire
	cargo test --locked -p crmwire-sim

test-lint:
	cargo fmt --all -- --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked -p crmwire --lib --test wasm_node --test wasm_browser --target wasm32-unknown-unknown -- -D warnings
	@# The shipped modules' feature sets (no std, one protocol each), as `make pkg` builds them: about 7 s.
	for feats in $(foreach f,$(FLAVOURS),slim,$(FEATURES_$(f))); do \
	  cargo clippy --locked -p crmwire --lib --target wasm32-unknown-unknown --no-default-features --features $$feats -- -D warnings; done
	@# wasm_bindgen / js_sys / web_sys belong in src/wasm/ only (the core stays sans-IO).
	@if grep -rnE '\b(wasm_bindgen|js_sys|web_sys)\b' src --include='*.rs' | grep -v '^src/wasm/'; then \
	  echo "error: wasm_bindgen/js_sys/web_sys used outside src/wasm/"; exit 1; fi

# wasm-bindgen-test: Node, then headless Chromium via chromedriver. No -q (toolchain.md G4).
test-wasm:
	cargo test --locked -p crmwire --target wasm32-unknown-unknown --test wasm_node
	cargo test --locked -p crmwire --target wasm32-unknown-unknown --test wasm_browser

# npm pack → install the tarball into a temp consumer → smoke in Node, Chromium, Deno, Bun, workerd,
# each also running a client check against the simulator (started with --cors).
test-pkg: sim
	node $(JS)/tools/with-sim.mjs -- node $(JS)/tools/pack-smoke.mjs

# Consumers of the packed tarball built by vite, esbuild, webpack 5, wrangler (dev + --dry-run bundle),
# Vite + CRXJS (MV3 extension), deno (npm:), bun build, and run by Node 18/20/22, each creating and
# querying a contact in crmwire-sim (tests/js/bundlers/run.mjs; `make test-bundlers ONLY=vite` picks cells).
test-bundlers: sim setup-js setup-bundlers setup-chromium
	node $(BUNDLERS)/run.mjs $(ONLY)

# node:test suites (tests/js/test/): the package imported by name, against crmwire-sim.
test-js: sim
	node $(JS)/tools/run-js-tests.mjs

# The client's integration suite against a live Vtiger (not part of `make test`: CI has no lab).
# CRMWIRE_REAL_URL, _USERNAME, _ACCESS_KEY, _PROFILE (vtiger-8.4 | vtiger-8.3 | patched) name the
# server; RECORD=1 appends the run to tests/real/RESULTS.md. test-real-lab runs the three servers
# of the lab (/work/shared/lab) in a row, reading the keys from KEYS (default /tmp/vtlab-keys.txt) at run time.
.PHONY: test-real test-real-lab
test-real: pkg link-pkg
	node $(JS)/real/run.mjs

test-real-lab: pkg link-pkg
	node $(JS)/real/run-lab.mjs

# The core client scenarios in a headless Chromium page against crmwire-sim --cors.
test-browser: sim setup-chromium
	node $(JS)/browser/run.mjs

test-types: link-pkg setup-bundlers
	node $(JS)/tools/typecheck.mjs
	node $(JS)/perfex/typecheck.mjs

# Every code block of README.md, pkg/README.md and www/README.md run, type-checked or skipped with a
# reason, as the <!-- doc: ... --> comment before it says; an unmarked block fails (tests/js/docs/run.mjs).
test-docs: sim link-pkg
	node $(JS)/docs/run.mjs

# The package under its own name for the suites that import 'crmwire' from tests/js.
link-pkg:
	@mkdir -p $(JS)/node_modules && ln -sfn "$(CURDIR)/pkg" $(JS)/node_modules/crmwire

# crmwire/proxy in workerd, Deno, Bun and Node against the simulator, plus in-process checks, plus
# the Durable Object store in workerd (two services, 2,000 requests: one login, global limits).
test-proxy: sim link-pkg
	node $(JS)/proxy/run.mjs
	node $(JS)/proxy/inprocess.mjs
	node $(JS)/proxy/durable.mjs 2000

# The MV3 extension loaded unpacked in headless Chromium: direct and through the proxy.
test-ext: sim link-pkg setup-chromium
	node www/extension/build.mjs
	node $(JS)/ext/ext.test.mjs

# The www demo page in headless Chromium.
test-www: sim link-pkg setup-chromium
	node $(JS)/www/demo.test.mjs

# n8n-nodes-crmwire (www/n8n): tsc build, node:test suites against the simulator, then the committed
# workflows in a real n8n. n8n (last release for Node 20) is tests/js/n8n's own package.json/lockfile,
# installed once per lockfile into ~/.cache/crmwire-n8n/<hash> (a fresh clone reuses it) and linked as
# tests/js/n8n/node_modules: about 4 min when it changes (npm cache warm), 13 min cold (2,000 packages).
N8N_DEPS = $(HOME)/.cache/crmwire-n8n/$(shell cat $(JS)/n8n/package.json $(JS)/n8n/package-lock.json | sha256sum | cut -c1-16)
setup-n8n:
	@if [ ! -f $(N8N_DEPS)/node_modules/.package-lock.json ]; then \
	  rm -rf $(N8N_DEPS).tmp && mkdir -p $(N8N_DEPS).tmp && cp $(JS)/n8n/package.json $(JS)/n8n/package-lock.json $(N8N_DEPS).tmp/ \
	  && (cd $(N8N_DEPS).tmp && npm_config_nodedir=$${npm_config_nodedir:-/usr} npm install --prefer-offline $(NPM_FLAGS)) \
	  && rm -rf $(N8N_DEPS) && mv $(N8N_DEPS).tmp $(N8N_DEPS); \
	fi
	@if [ -d $(JS)/n8n/node_modules ] && [ ! -L $(JS)/n8n/node_modules ]; then rm -rf $(JS)/n8n/node_modules; fi
	@ln -sfn $(N8N_DEPS)/node_modules $(JS)/n8n/node_modules

test-n8n: sim link-pkg setup-n8n
	node $(JS)/n8n/run.mjs

# Size budget per entry point (fails when over), the core::fmt check of each wasm module (fails on any
# core::fmt function but those core's panic paths reference, pinned in tests/bench/fmt-budget.json)
# and a quick per-call CPU sanity run.
test-bench-quick: pkg link-pkg
	node tests/bench/run.mjs --quick
	node $(JS)/tools/fmt-check.mjs $(WASM_STAGE)

## ---------------------------------------------------------------- fuzzing
# cargo-fuzz targets in tests/fuzz (their own workspace, nightly toolchain; FUZZING.md), one per
# surface. `make fuzz` runs each target FUZZ_SECONDS on its corpus (seeded from the recorded
# fixtures by tests/fuzz/seed.mjs); `make fuzz FUZZ_TARGETS=json` picks targets. `make test-fuzz`,
# a phase of `make test`, builds them all and runs each for FUZZ_SMOKE_SECONDS.
FUZZ_TARGETS ?= json envelope vtql_literal vtql_builder vtql_parse encode perfex sync request sim_query proxy_gate
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_MAX_LEN ?= 4096
FUZZ_FLAGS := --fuzz-dir tests/fuzz --sanitizer none --target-dir $(CARGO_TARGET_DIR)/fuzz

setup-fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null || { echo "installing cargo-fuzz 0.13.2 (about 3 min)"; \
	  cargo install cargo-fuzz --version 0.13.2 --locked || cargo install cargo-fuzz --version 0.13.2; }

fuzz-corpus:
	@node tests/fuzz/seed.mjs >/dev/null

# One line per target (runs, seconds); on a crash its log tail and the input under tests/fuzz/artifacts/.
fuzz: setup-fuzz fuzz-corpus
	@mkdir -p $(CARGO_TARGET_DIR)/fuzz/logs
	@for t in $(FUZZ_TARGETS); do \
	  log=$(CARGO_TARGET_DIR)/fuzz/logs/$$t.log; \
	  if cargo +nightly fuzz run $(FUZZ_FLAGS) $$t tests/fuzz/corpus/$$t -- \
	       -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 >$$log 2>&1; then \
	    echo "fuzz $$t: $$(grep -a -o 'Done [0-9]* runs in [0-9]* second(s)' $$log)"; \
	  else echo "fuzz $$t: FAILED"; tail -n 40 $$log; exit 1; fi; \
	done

test-fuzz: setup-fuzz fuzz-corpus
	cargo +nightly fuzz build $(FUZZ_FLAGS)
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

## ---------------------------------------------------------------- simulator
sim:
	cargo build --release --locked -p crmwire-sim

## ---------------------------------------------------------------- demo / bench
# `make demo` serves the www demo page, same-origin with the simulator, and prints its URL;
# it runs until Ctrl-C. `make demo-node` is the terminal walkthrough; CRMWIRE_URL /
# CRMWIRE_USERNAME / CRMWIRE_ACCESS_KEY point it at a real Vtiger.
demo: setup-rust setup-js pkg sim link-pkg
	node www/serve.mjs

demo-node: setup-rust setup-js pkg sim link-pkg
	node $(JS)/demo.mjs

# The full benchmark suite (about 10 min): writes tests/bench/results/latest.json and BENCHMARKS.md.
# twiggy (the size breakdown by function and crate) is installed on first use, about 3 min.
bench: setup pkg sim link-pkg
	@command -v twiggy >/dev/null || { echo "installing twiggy 0.8.0 (about 3 min)"; cargo install twiggy --version 0.8.0; }
	node $(JS)/proxy/load.mjs 2000 20 5
	node tests/bench/run.mjs

clean-pkg:
	rm -rf $(GEN) pkg/*.tgz
