"""Experiments: scripts that train and measure, and write (or print) the results committed to the repository.

``case_studies``          the original post reproduced and taken apart, mode dropping: data/results
``search_default``        the search for the default configuration: benchmarks/results, search_log.md
``conditional``           does a conditional generator draw the digit it is asked for?
``compare_conditioning``  one-hot label or learned embedding: how fast the label is learned
"""
