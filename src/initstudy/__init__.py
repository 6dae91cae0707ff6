"""initstudy: why neural-network weights must start random, and how large, measured.

The science lives here as pure functions (no Snakemake):

- :mod:`initstudy.config`      load and validate a study config (``python -m initstudy.config FILE``)
- :mod:`initstudy.safeyaml`    read a config file as plain, bounded YAML; :class:`ConfigError`
- :mod:`initstudy.schemacheck` check a config against its JSON schema, one plain line per problem
- :mod:`initstudy.crosschecks` what the schema cannot say: references, names, runs, jobs, memory
- :mod:`initstudy.schemas`     the JSON schemas (config, claims rules, table columns), as package data
- :mod:`initstudy.grid`        expansion of experiments into runs and shards
- :mod:`initstudy.datasets`    seeded 2-D binary datasets (flower, moons, circles, xor, blobs, spirals)
- :mod:`initstudy.inits`       weight and bias initialisation schemes (a registry)
- :mod:`initstudy.draws`       each run's initial weights, from its own key or the notebooks' draw
- :mod:`initstudy.mlp`         activations with their derivatives, forward and backward passes
- :mod:`initstudy.backends`    the steps between two logged iterations (numpy, jax)
- :mod:`initstudy.train`       batched full-batch gradient descent over many runs at once
- :mod:`initstudy.twin`        the width-1 twin of a symmetric net (claim L05)
- :mod:`initstudy.metrics`     per-run and per-layer diagnostics, symmetry gaps
- :mod:`initstudy.linear`      the exact best linear classifier on 2-D points
- :mod:`initstudy.course`      the course notebooks' printed numbers beside our runs
- :mod:`initstudy.claims`      verdicts on the lecture's claims (a package: kernel, check kinds, measures, claims)
- :mod:`initstudy.tables`      Parquet tables with declared schemas, atomic writes, clear read errors
- :mod:`initstudy.catalog`     the list of figures
- :mod:`initstudy.figures`     the shared look of every figure
- :mod:`initstudy.formatting`  numbers for a reader (every number the report prints)
- :mod:`initstudy.gridtext`    an experiment's grid in words
- :mod:`initstudy.report`      what the report shows, as plain data
- :mod:`initstudy.rulescript`  running a workflow script inside its rule (log, one-line errors)
"""

__version__ = "0.1.0"
