"""Root pytest configuration, for tests/ and for the notebooks nbval runs.

The kernels that nbval starts inherit this process's environment: a fixed test
key keeps them from creating a pseudonymization key file anywhere.

The notebooks' sources are the jupytext ``notebooks/*.py`` files; their
``.ipynb`` copies, which nbval runs, are generated and git-ignored. Before
collecting, the session writes the copies that are missing or older than their
``.py`` (:func:`impactlib.report.sources.write_ipynb_copies`; a newer copy,
which JupyterLab keeps in step with its ``.py``, is left alone), so that
``pytest`` alone works on a fresh clone.
"""

import os
from pathlib import Path

os.environ.setdefault("IMPACTLIB_KEY", "test-key-not-secret")

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def pytest_sessionstart(session):
    if NOTEBOOKS.is_dir():
        from impactlib.report.sources import write_ipynb_copies

        write_ipynb_copies(NOTEBOOKS)
