"""The engine: ``simulate`` (validate, seed, allocate, run a target), ``Result``, ``replay`` and the statistics
that judge simulated means against theory."""
