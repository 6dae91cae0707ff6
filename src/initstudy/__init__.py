"""initstudy: why neural-network weights must start random, and how large, measured.

The science lives here as pure functions (no files, no Snakemake):

- :mod:`initstudy.config`     load and validate a study config (schema, defaults, cross-references)
- :mod:`initstudy.grid`       expansion of experiments into runs and shards
- :mod:`initstudy.datasets`   seeded 2-D binary datasets (flower, moons, circles, xor, blobs, spirals)
- :mod:`initstudy.inits`      weight and bias initialisation schemes (a registry)
- :mod:`initstudy.mlp`        activations with their derivatives, forward and backward passes
- :mod:`initstudy.fast`       the hot loop between two logged iterations, without diagnostics
- :mod:`initstudy.train`      batched full-batch gradient descent over many runs at once
- :mod:`initstudy.metrics`    per-run and per-layer diagnostics, symmetry gaps
- :mod:`initstudy.linear`     the exact best linear classifier on 2-D points
- :mod:`initstudy.claims`     verdicts on the lecture's claims (a package: kernel, check kinds, measures, claims)
- :mod:`initstudy.tables`     Parquet tables with declared schemas, atomic writes, clear read errors
- :mod:`initstudy.catalog`    the list of figures
- :mod:`initstudy.figures`    the shared look of every figure
- :mod:`initstudy.report`     what the report shows, as plain data
- :mod:`initstudy.rulescript` running a workflow script inside its rule (log, one-line errors)
"""

__version__ = "0.1.0"
