# The README's two commands: `make render` and `make test`. Each installs what it needs first.
PY := .venv/bin/python

.PHONY: setup render test test-fast bench clean
setup:
	@bash .ci/setup.sh

render: setup
	$(PY) render.py

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

bench: setup
	$(PY) benchmarks/bench_record.py
	$(PY) benchmarks/bench_matplotlib.py
	$(PY) benchmarks/bench_manim.py
	$(PY) benchmarks/bench_player.py
	$(PY) benchmarks/bench_serve.py

clean:
	rm -rf out .pytest_cache .sgd-anim-cache
