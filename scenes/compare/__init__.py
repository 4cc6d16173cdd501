"""Many runs: comparisons and sweeps (``--compare``, several ``--trace``).

- :mod:`scenes.compare.spec`: what varies, one label and one validated run per grid point;
- :mod:`scenes.compare.engine`: the executor (a local process pool or a Dask cluster) that
  records the runs and renders each run's own video;
- :mod:`scenes.compare.table`: the numbers of each run (``runs.csv``);
- :mod:`scenes.compare.summary`: the summary chart (final loss against the varied setting);
- :mod:`scenes.compare.run`: the whole comparison, as ``render.py --compare`` runs it.
The race video itself (``compare.mp4`` ...) is drawn by :mod:`scenes.compare.race`.
"""
