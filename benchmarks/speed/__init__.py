"""Speed benchmarks: each prints its figures beside the machine line and writes nothing committed.

``train``       ganlib's training iteration against the same GAN in PyTorch, side by side
``explorer``    the latent-space explorer's latency, slider to image
``profile``     one search candidate's iteration, phase by phase, inside and outside the matrix products
``prototypes``  the non-GEMM parts of an iteration, each against a faster way to run the same code
``iteration``   (a library, not a script) an iteration's matrix products and its phases, timed as it runs
"""
