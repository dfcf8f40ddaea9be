"""ganlib's benchmarks: run them as modules from the repository's root (``python -m benchmarks.speed.train``).

``benchmarks.harness``      the one shared harness: the machine line, thread limits, timing, common options
``benchmarks.speed``        scripts that print speed figures and write nothing committed
``benchmarks.experiments``  scripts that train and measure, and write the committed results

``benchmarks/README.md`` lists every command, what it measures or writes, and where the results are.
Nothing here is part of the installed package; importing this package imports nothing else.
"""
