"""Trained models shipped with ganlib, installed as the package ``ganlib.artifacts``.

``pyproject.toml`` maps this folder to ``ganlib/artifacts`` in a wheel (and in an editable
install), so ``ganlib.paths.artifact(name)`` finds these files wherever ganlib is installed.
This file exists only to make the folder an importable package; see ``data/README.md``
for what each file is and the command that made it.
"""
