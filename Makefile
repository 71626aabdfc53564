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

.PHONY: setup setup-rust setup-js setup-chromium pkg wasm-build test test-native test-lint test-wasm \
        test-pkg test-js test-types demo bench size clean-pkg

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

setup-chromium:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

## ---------------------------------------------------------------- package
wasm-build:
	cargo build --release --locked --target wasm32-unknown-unknown -p crmwire

# One `--target web` glue for every runtime; thin hand-written entries pick the loader.
# wasm-opt from npm binaryen (Debian's 108 corrupts the module, toolchain.md G3).
pkg: setup-rust setup-js wasm-build
	rm -rf $(GEN) && mkdir -p $(GEN)
	wasm-bindgen --target web --weak-refs --remove-name-section --remove-producers-section \
	  --out-dir $(GEN) --out-name crmwire $(WASM)
	$(WASM_OPT) -Oz $(GEN)/crmwire_bg.wasm -o $(GEN)/crmwire_bg.wasm
	rm -f $(GEN)/crmwire_bg.wasm.d.ts $(GEN)/.gitignore
	node $(JS)/tools/size.mjs

size:
	node $(JS)/tools/size.mjs

## ---------------------------------------------------------------- tests
test: setup test-lint test-native pkg test-wasm test-pkg test-js test-types
	@echo "make test: all green"

test-native:
	cargo test --locked -p crmwire
	cargo test --locked -p crmwire-sim

test-lint:
	cargo fmt --all -- --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked -p crmwire --lib --test wasm_node --test wasm_browser --target wasm32-unknown-unknown -- -D warnings
	@# wasm_bindgen / js_sys / web_sys belong in src/wasm/ only (the core stays sans-IO).
	@if grep -rnE '\b(wasm_bindgen|js_sys|web_sys)\b' src --include='*.rs' | grep -v '^src/wasm/'; then \
	  echo "error: wasm_bindgen/js_sys/web_sys used outside src/wasm/"; exit 1; fi

# wasm-bindgen-test: Node, then headless Chromium via chromedriver. No -q (toolchain.md G4).
test-wasm:
	cargo test --locked -p crmwire --target wasm32-unknown-unknown --test wasm_node
	cargo test --locked -p crmwire --target wasm32-unknown-unknown --test wasm_browser

# npm pack → install the tarball into a temp consumer → smoke in Node, Chromium, Deno, Bun, workerd.
test-pkg:
	node $(JS)/tools/pack-smoke.mjs

test-js:
	node $(JS)/tools/run-js-tests.mjs

test-types:
	node $(JS)/tools/typecheck.mjs

## ---------------------------------------------------------------- demo / bench
demo: setup-rust setup-js pkg
	cargo build --release --locked -p crmwire-sim
	node $(JS)/demo.mjs

bench:
	@echo "bench: not written yet (placeholder)"

clean-pkg:
	rm -rf $(GEN) pkg/*.tgz
