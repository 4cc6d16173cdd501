# The README's two commands: `make render` and `make test`. Each installs what it needs first.
PY := .venv/bin/python

.PHONY: setup render test test-fast test-serial test-fuzz test-matrix bench clean
setup:
	@bash .ci/setup.sh

render: setup
	$(PY) render.py

# Every test, in parallel (pytest-xdist, a worker per core: addopts in pyproject.toml).
test: setup
	$(PY) -m pytest -q

# The inner loop: no video, Manim, browser, Dask, notebook or wheel (about a minute).
test-fast: setup
	$(PY) -m pytest -q -m "not slow"

# One process, in order: for a debugger or print().
test-serial: setup
	$(PY) -m pytest -q -p no:xdist

# Also the layout matrix's cases beyond the suite's two designed samples (tests/matrix.py; minutes more).
test-matrix: setup
	$(PY) -m pytest -q --full-matrix

# The fuzz properties with thousands of examples each (the suite runs a few; minutes).
test-fuzz: setup
	$(PY) -m pytest -q tests/training -m hypothesis --hypothesis-profile=hunt

bench: setup
	$(PY) benchmarks/bench_record.py
	$(PY) benchmarks/bench_matplotlib.py
	$(PY) benchmarks/bench_manim.py
	$(PY) benchmarks/bench_player.py
	$(PY) benchmarks/bench_serve.py

clean:
	rm -rf out .pytest_cache .sgd-anim-cache
