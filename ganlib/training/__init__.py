"""Application: what a person watching a training run needs around the algorithm.

============= ===================================================================
progress      a progress bar, and a Ctrl-C that waits for a safe moment
============= ===================================================================
"""
