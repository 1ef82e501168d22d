"""The studies: one module per study, each checking claims of the lecture (``simsgd.workflow.studies`` runs them).

They ship with the package, so ``simsgd list`` and ``simsgd run NAME`` work from any install.
"""
