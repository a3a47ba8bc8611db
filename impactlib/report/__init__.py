"""Report layer: results tables, words, figures and the board's HTML pages.

=================  ==============================================================
module             what it does
=================  ==============================================================
``results``        computes every results table with :mod:`impactlib.stats`,
                   checks it against its contract, writes and reads the CSVs
``contract``       columns, dtypes and meaning of every results table (pandera
                   schemas; ``docs/results-tables.md``)
``narrative``      which sentence says what, from the results
``figures``        draws the results (computes nothing)
``i18n``           the sentences of ``locales/<lang>/``
``notebook``       what a report notebook needs, in one call
``build``          ``impactlib report``: cleans, runs the notebooks, swaps the
                   report in
``render``         the board's HTML pages from the executed notebooks
``processes``      stops the notebook workers and their kernels, with every
                   descendant
=================  ==============================================================

``locales/`` holds every sentence per language, ``templates/`` the board's
HTML template.
"""
