# The two commands of the README: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Rust build output lives outside the clone so a fresh clone on the same machine builds warm.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/perp_pool/target
export PERP_LOCALNET_BIN := $(CARGO_TARGET_DIR)/debug/perp-localnet
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: test demo localnet venv build cargo-test idl idl-check lint pytest bench clean-venv

test: venv build lint cargo-test idl-check pytest

demo: venv build
	$(PY) -m perp_pool.demo

# A local node in the foreground with a funded wallet and the example pools deployed (Ctrl-C stops it).
localnet: venv build
	$(PY) -m perp_pool.cli localnet

$(VENV)/.installed: client/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e 'client[test,lint]'
	touch $@

venv: $(VENV)/.installed

build:
	cargo build --locked -p perp-localnet

cargo-test:
	cargo test --locked --workspace

# The IDL, then the Python error classes generated from it.
idl: venv
	scripts/gen-idl.sh
	$(PY) scripts/gen-py-errors.py

idl-check: venv
	scripts/gen-idl.sh --check
	$(PY) scripts/gen-py-errors.py --check

# Gates: formatting and lints, Rust and Python, all must be clean.
lint: venv
	cargo fmt --all -- --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check client/perp_pool tests bench migrations scripts
	$(VENV)/bin/mypy --config-file client/pyproject.toml client/perp_pool

pytest: venv
	$(PY) -m pytest

bench: venv build
	$(PY) bench/tx_throughput.py
	$(PY) bench/trade_roundtrip.py
	$(PY) bench/keeper_scan.py
	$(PY) bench/keeper_latency.py
	$(PY) bench/node_ceiling.py
	$(PY) bench/notify_latency.py
	$(PY) bench/exposure_bound.py
	$(PY) bench/order_latency.py
	$(PY) bench/stress_sim.py
	$(PY) bench/multi_asset.py

clean-venv:
	rm -rf $(VENV)
