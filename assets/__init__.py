"""sgd-anim's package data: themes, presets, example configs, example data, the notebook.

This folder is installed as the package ``sgd_anim_assets`` (see ``package-dir`` in
pyproject.toml), in a wheel and in an editable install alike. Read it through
``scenes.resources`` (importlib.resources), never through a path relative to a source file.
"""
