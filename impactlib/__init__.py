"""impactlib: the social impact of employment coaching, measured honestly.

Data flows one way: raw exports -> :mod:`impactlib.readers` ->
:mod:`impactlib.ingest` (against the :mod:`impactlib.codebook`) ->
:mod:`impactlib.processed` tidy tables -> statistics modules
(:mod:`impactlib.attrition`, :mod:`impactlib.change`,
:mod:`impactlib.reliability`, :mod:`impactlib.models`, :mod:`impactlib.power`)
-> :mod:`impactlib.results` -> notebooks -> :mod:`impactlib.report` (HTML).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("impactlib")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
