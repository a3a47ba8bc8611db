"""Statistics layer: tidy long frames in, tidy frames out.

=====================  ==========================================================
module                 what it computes
=====================  ==========================================================
``attrition``          response patterns, funnel, timing, due status, who drops
                       out, dropout model, Little's MCAR test
``item_change``        question-level change: Wilcoxon, BH, rank-biserial,
                       distributions, transitions
``ordinal``            question-level change on all answers: cumulative link
                       mixed model (adaptive Gauss-Hermite quadrature)
``ordinal_effects``    one wave pair of the ordinal model as shown: probability
                       of a higher answer with its interval, status per item
``reliability``        Cronbach's alpha, omega, reliable change (Jacobson-Truax)
``dimension_change``   dimension-level change: mixed model, completers,
                       multiple imputation, subgroups
``power``              detectable effects and the sample needed
``collection``         response rates by cohort, before/after a change in how
                       questionnaires are collected, when the pairs needed
                       will be reached
=====================  ==========================================================

These modules read no file and draw nothing: they take the processed tables
(``docs/tidy-tables.md``) and return tables that :mod:`impactlib.report`
writes and shows.
"""
