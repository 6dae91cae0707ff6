"""initstudy: why neural-network weights must start random, and how large, measured.

The science lives here as pure functions (no files, no Snakemake):

- :mod:`initstudy.datasets`  seeded 2-D binary datasets (flower, moons, circles, xor, blobs, spirals)
- :mod:`initstudy.inits`     weight and bias initialisation schemes (a registry)
- :mod:`initstudy.mlp`       activations with their derivatives, forward and backward passes
- :mod:`initstudy.train`     batched full-batch gradient descent over many runs at once
- :mod:`initstudy.metrics`   per-run and per-layer diagnostics, symmetry gaps
- :mod:`initstudy.grid`      config validation and expansion of experiments into runs
"""

__version__ = "0.1.0"
