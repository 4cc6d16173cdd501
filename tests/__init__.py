"""The test suite: a package, so that test files in different folders may share a name and
``from tests.helpers import ...`` works from anywhere (see tests/conftest.py)."""
