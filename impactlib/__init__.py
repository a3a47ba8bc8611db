"""impactlib: the social impact of employment coaching, measured honestly.

Data flows one way: raw exports -> :mod:`impactlib.intake.readers` ->
:mod:`impactlib.intake.ingest` (against the :mod:`impactlib.intake.codebook`) ->
:mod:`impactlib.intake.processed` tidy tables -> statistics modules
(:mod:`impactlib.stats.attrition`, :mod:`impactlib.stats.item_change`,
:mod:`impactlib.stats.reliability`, :mod:`impactlib.stats.dimension_change`, :mod:`impactlib.stats.power`)
-> :mod:`impactlib.report.results` -> notebooks -> :mod:`impactlib.report` (HTML).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("impactlib")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
