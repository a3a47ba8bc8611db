"""Input layer: from raw exports to the tidy processed tables.

=================== ==============================================================
module              what it does
=================== ==============================================================
``study``           ``study.yml``: waves, files, covariates, settings
``codebook``        items, dimensions, answer scales (labels to values)
``readers``         CSV dialects and encodings, workbooks, SPSS files, as raw text
``dates``           dates as exports write them
``ingest``          one wave: labels to values, reverse items, the row rules
``scores``          dimension scores from the recoded answers
``pseudonym``       candidate ids replaced by a keyed hash
``processed``       linkage, patterns, the tidy tables and their files
``schemas``         the processed tables' contract (pandera)
``shapes``          one file for several waves, wide files, incomplete responses
``scale_catalogue`` common answer scales (fr/nl/en), for drafting codebooks
``draft``           ``impactlib init``: study.yml and codebook drafted from exports
``demo``            the synthetic demo study, written as messy exports
=================== ==============================================================

Nothing here computes a statistic; :mod:`impactlib.stats` takes the tables
this layer writes.
"""
