"""Build notebooks/05-exploring-the-latent-space.ipynb from its prose and code cells."""

import sys

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import nbbuild

NAV = "[Index](00-index.ipynb) · [Previous](04-training-live.ipynb) · [Next](06-evaluating-and-debugging.ipynb)"
cells = []
md = lambda s: cells.append(nbbuild.md(s))  # noqa: E731
code = lambda s: cells.append(nbbuild.code(s))  # noqa: E731

md("""
# 05 · Exploring the latent space

A trained generator is a function $G:\\mathbb{R}^{100} \\to [-1, 1]^{784}$. Every point $z$ of its
input space, the *latent space*, is a digit. In this notebook we walk around that space with
sliders, and ask three questions along the way: where do the $z$ live, which directions matter,
and has the generator simply memorised its training set?

**What you will learn**

- why a Gaussian $z$ in 100 dimensions almost always has norm close to 10, and what that means for
  interpolation (spherical *slerp* rather than a straight line);
- how to find the latent directions that change the image most: the top eigenvectors of
  $\\mathbb{E}_z[J^\\top J]$, estimated with the backward pass we wrote by hand in notebook 02;
- how to check for memorisation with the nearest training image;
- how to use `ganlib.explorer.LatentExplorer`, in a notebook or as a web page with Voila.

**Run time:** under a minute on a laptop CPU. No training: we load the generator trained in
notebook 04 (shipped as `data/generator.npz`).
""")

code("""
import os
import time

import matplotlib.pyplot as plt
import numpy as np

from ganlib import viz
from ganlib.checkpoint import load_generator
from ganlib.data import load_mnist, to_tanh_range
from ganlib.explorer import (LatentExplorer, interpolate, latent_directions, latent_from_seed, prior_std, slerp,
                             typical_norm)
from ganlib.metrics import nearest_training_distance

CHECKPOINT = os.environ.get("GANLIB_EXPLORER_CHECKPOINT")  # None: the shipped data/generator.npz
G, meta = load_generator(CHECKPOINT)
d, dist = meta["config"]["latent_dim"], meta["config"]["latent_dist"]
print(f"generator trained for {meta['epoch']} epochs; z ~ {dist} in {d} dimensions")
""")

md("""
## 1. A point in latent space is a digit

`latent_from_seed(seed, d)` draws one $z \\sim N(0, I_d)$ from its own seeded random generator, so a
seed names a digit: write it down and you can come back to it (the explorer has a seed field for
that). Here are the digits of seeds 0 to 31.
""")

code("""
Z = np.stack([latent_from_seed(s, d, dist) for s in range(32)])  # (32, d)
viz.show_grid(G.forward(Z), nrow=16, title="seeds 0-31");
""")

md("""
## 2. Where does $z$ live? On a thin shell

The density of $N(0, I_d)$ is highest at the origin, yet a sample is almost never near it. Its
squared norm $\\|z\\|^2 = \\sum_i z_i^2$ is a sum of $d$ independent terms of mean 1 and variance 2,
so $\\|z\\|^2 \\approx d \\pm \\sqrt{2d}$ and $\\|z\\| \\approx \\sqrt d \\pm 0.7$: for $d = 100$, between
about 8.5 and 11.5, almost always. The volume grows so fast with the radius that it outweighs the
density: the probability mass sits on a shell.

Now draw a straight line between two such samples. Its midpoint $(a + b)/2$ is Gaussian with
variance $1/2$ per coordinate, so its norm is about $\\sqrt{d/2} \\approx 7.1$, a radius where the
generator practically never received an input during training.
""")

code("""
rng = np.random.default_rng(0)
A, B = rng.standard_normal((2, 10_000, d))
norms = {
    "z ~ N(0, I)": np.linalg.norm(A, axis=1),
    "lerp midpoint (a + b) / 2": np.linalg.norm((A + B) / 2, axis=1),
    "slerp midpoint": np.array([np.linalg.norm(slerp(a, b, 0.5)) for a, b in zip(A, B)]),
}
fig, ax = plt.subplots(figsize=(7, 2.6), layout="constrained")
for label, n in norms.items():
    ax.hist(n, bins=80, range=(5, 13), alpha=0.6, label=f"{label}: {n.mean():.2f} ± {n.std():.2f}")
ax.axvline(typical_norm(d), color="k", lw=1, ls="--")
ax.set_xlabel("‖z‖"); ax.set_yticks([]); ax.legend(fontsize=8)
ax.set_title(f"N(0, I) in {d} dimensions: ‖z‖ ≈ √{d} = {typical_norm(d):.0f}, never near 0")
frac = np.mean(norms["z ~ N(0, I)"] <= norms["lerp midpoint (a + b) / 2"].mean())
print(f"fraction of 10,000 prior samples with ‖z‖ at or below the typical lerp midpoint norm: {frac:.4f}")
assert abs(norms["z ~ N(0, I)"].mean() - typical_norm(d)) < 0.1 and frac < 0.001
""")

md("""
## 3. Interpolating: slerp for Gaussian $z$, a straight line for uniform $z$

*Spherical linear interpolation* (Shoemake, 1985; proposed for generative models by White, 2016)
moves along the great circle between the two directions and lets the norm move linearly. With
$\\Omega$ the angle between $a$ and $b$:

$$\\mathrm{slerp}(a, b, t) = \\big((1-t)\\|a\\| + t\\|b\\|\\big)\\,
  \\frac{\\sin((1-t)\\Omega)\\,\\hat a + \\sin(t\\Omega)\\,\\hat b}{\\sin \\Omega},
  \\qquad \\hat a = \\frac{a}{\\|a\\|},\\ \\hat b = \\frac{b}{\\|b\\|}.$$

It is exactly $a$ at $t = 0$ and exactly $b$ at $t = 1$ (the explorer's test checks that the
endpoints reproduce the two digits bit for bit), and it never leaves the shell. Below, the same two
seeds joined both ways; watch the middle of the straight line.

For a **uniform** prior, $z \\in [-1, 1]^d$ (the original blog post's choice), the picture is
different: the cube is convex, so the straight line never leaves it, whereas slerp's arc bulges
outwards and can push coordinates beyond $\\pm 1$, where the generator was never trained. The
explorer therefore uses a straight line (`lerp`) for uniform $z$. Neither is perfect there (the
midpoint of two uniform vectors is also closer to the centre than a typical sample), which is one
reason Gaussian priors became the standard.
""")

code("""
a, b = latent_from_seed(3, d, dist), latent_from_seed(11, d, dist)
ts = np.linspace(0, 1, 9)
fig, axes = plt.subplots(2, 1, figsize=(9, 2.6), layout="constrained")
for ax, method in zip(axes, ("lerp", "slerp")):
    path = np.stack([interpolate(a, b, t, method=method) for t in ts])
    viz.show_grid(G.forward(path), nrow=len(ts), ax=ax)
    ax.set_title(f"{method}: ‖z‖ along the path = " + ", ".join(f"{n:.1f}" for n in np.linalg.norm(path, axis=1)),
                 fontsize=9)
    assert np.array_equal(path[0], a) and np.array_equal(path[-1], b)  # exact endpoints
""")

md("""
## 4. Which directions matter?

With 100 sliders nobody finds anything, and most random directions do little. We want the few
directions along which the image changes most. For a small step $\\epsilon v$ along a unit vector $v$,

$$\\|G(z + \\epsilon v) - G(z)\\|^2 \\approx \\epsilon^2\\, v^\\top J(z)^\\top J(z)\\, v,
  \\qquad J(z) = \\frac{\\partial G}{\\partial z}\\ (784 \\times d).$$

Averaged over the prior, the change along $v$ is $v^\\top M v$ with $M = \\mathbb{E}_z[J^\\top J]$, a
symmetric $d \\times d$ matrix (the *pullback metric*). The unit vectors that maximise it, one after
the other and orthogonal to each other, are the eigenvectors of $M$ with the largest eigenvalues,
and each eigenvalue is the average squared image change per unit step along its direction. This is
principal component analysis of the *image change*, not of the images.

We never need the 784 x 100 Jacobian. The backward pass we wrote in notebook 02 computes
$J^\\top u$ for any $u$: `G.backward(u)` returns $\\partial (u \\cdot G(z)) / \\partial z$. For a random
probe $u \\sim N(0, I_{784})$, $\\mathbb{E}_u[(J^\\top u)(J^\\top u)^\\top] = J^\\top \\mathbb{E}[u u^\\top] J = J^\\top J$
(Hutchinson's trick). So one forward and one backward pass over 2,048 random $z$, each with its own
probe, give an unbiased estimate of $M$; `latent_directions` does exactly that, then takes the top
eigenvectors (with signs chosen so that $+$ adds ink on average).
""")

code("""
t0 = time.perf_counter()
directions, eigenvalues = latent_directions(G, d, dist, n_directions=6)
print(f"{time.perf_counter() - t0:.2f} s; directions {directions.shape}")
assert np.allclose(directions @ directions.T, np.eye(6), atol=1e-5)  # orthonormal rows
share = eigenvalues / eigenvalues.sum()
print("share of the average image change, top 6:", np.round(share[:6], 3), f"(together {share[:6].sum():.0%})")
print(f"a random direction carries 1/{d} = {1 / d:.3f} on average")

fig, ax = plt.subplots(figsize=(7, 2.2), layout="constrained")
ax.bar(np.arange(1, d + 1), share, color=["C0"] * 6 + ["0.7"] * (d - 6))
ax.set_xlabel("eigenvector"); ax.set_ylabel("share"); ax.set_title("eigenvalues of E[JᵀJ]: a few directions dominate");
""")

md(r"""
Is the estimate right? A direct check: take a small step ($\epsilon = 0.1$) along each direction from
500 fresh $z$, measure the mean squared change of the image divided by $\epsilon^2$ (a finite
difference), and compare with the eigenvalues and with random unit directions.
""")

code("""
rng = np.random.default_rng(1)
Z = np.stack([latent_from_seed(s, d, dist) for s in range(1000, 1500)])  # 500 fresh z, (500, d)
X0 = G.forward(Z)
def mean_change(v, eps=0.1):
    return np.mean(np.sum((G.forward(Z + eps * v) - X0) ** 2, axis=1)) / eps**2
random_dirs = rng.standard_normal((5, d)); random_dirs /= np.linalg.norm(random_dirs, axis=1, keepdims=True)
measured = np.array([mean_change(v) for v in directions])
random_change = np.array([mean_change(v.astype(np.float32)) for v in random_dirs])
print("d1...d6, measured  ", np.round(measured, 2))
print("d1...d6, predicted ", np.round(eigenvalues[:6], 2))
print("5 random directions", np.round(random_change, 2))
assert np.allclose(measured, eigenvalues[:6], rtol=0.3) and measured[0] > random_change.max()
""")

md("""
What do the directions do? Each row starts from the same digit and steps along one direction from
$-3$ to $+3$ standard deviations (the range of the explorer's sliders). Often a direction mixes
several things (thickness, slant, identity); the GAN was never asked to keep them apart.
""")

code("""
z0 = latent_from_seed(7, d, dist)
steps = np.arange(-3.0, 4.0)  # -3 ... +3
sigma = prior_std(dist)  # 1 for N(0, I), 1/sqrt(3) for U(-1, 1)
fig, axes = plt.subplots(4, 1, figsize=(9, 4.6), layout="constrained")
for k, ax in enumerate(axes):
    row = np.stack([z0 + s * sigma * directions[k] for s in steps])
    viz.show_grid(G.forward(row), nrow=len(steps), ax=ax)
    ax.set_title(f"direction d{k + 1} ({share[k]:.0%} of the change): steps -3 ... +3 standard deviations", fontsize=9)
""")

md("""
## 5. Has it memorised the training set?

A generator that reproduced training images would score well on many sample-quality measures. The
direct check is the distance from each sample to its nearest training image, compared with the same
distance for real digits the GAN never saw (the validation split). Copies would have distances near 0;
a generator that produces new digits gives distances like those of unseen real digits.
`ganlib.metrics.nearest_training_distance` computes it with one matrix product per block (the
explorer does the same for one image per slider move, with the training norms precomputed).
""")

code("""
train = to_tanh_range(load_mnist("train")[0])                # (50000, 784)
valid = to_tanh_range(load_mnist("validation")[0][:300])      # unseen real digits
samples = G.forward(np.stack([latent_from_seed(s, d, dist) for s in range(300)]))
d_fake, i_fake = nearest_training_distance(samples, train)
d_real, _ = nearest_training_distance(valid, train)
print(f"nearest-training distance, median [min]: generated {np.median(d_fake):.2f} [{d_fake.min():.2f}], "
      f"unseen real {np.median(d_real):.2f} [{d_real.min():.2f}]")

fig, axes = plt.subplots(2, 1, figsize=(9, 2.4), layout="constrained")
closest = np.argsort(d_fake)[:10]   # the generated digits most like a training image
viz.show_grid(samples[closest], nrow=10, ax=axes[0]); axes[0].set_title("the 10 samples closest to the training set", fontsize=9)
viz.show_grid(train[i_fake[closest]], nrow=10, ax=axes[1])
axes[1].set_title("their nearest training images: " + " ".join(f"{x:.1f}" for x in d_fake[closest]), fontsize=9);
""")

md("""
## 6. The explorer

Everything above, with sliders. The large digit is $G(z)$; beside it, what a small MNIST classifier
(`ganlib.metrics.Classifier`, 98.5% test accuracy; notebook 06 uses it to evaluate samples) thinks it is, and the nearest training image
with its distance.

- **Directions**: a seed gives the base $z$ (*new random z* draws another); the six sliders step along
  the six top directions found above, in standard deviations of the prior.
- **Interpolation**: seeds A and B, slider $t$, slerp or a straight line; the strip shows 8 points of
  the path and the readout shows $\\|z\\|$ (compare lerp's dip in the middle).
- **checkpoint**: type or pick another generator (any `.npz` written by `save_generator` or
  `save_checkpoint`, e.g. under `runs/`) and press *Load*; a file that does not load leaves the current
  model in place and says why.

The digit follows the sliders as you drag (one generator pass and a PNG, about a millisecond); the
classifier and the nearest-neighbour search (a 784 x 50,000 matrix-vector product) run at most every
0.15 s while you drag, and once more when you stop.

To use it as a web page without the code, serve this notebook with Voila from the repository root:
`voila notebooks/05-exploring-the-latent-space.ipynb` (it opens at http://localhost:8866). Voila runs
the whole notebook, then shows the explorer alone (its stylesheet hides the other cells, only under
Voila). Set `GANLIB_EXPLORER_CHECKPOINT=path/to/generator.npz` before either command to start from
your own generator.
""")

code("""
explorer = LatentExplorer(CHECKPOINT)
explorer
""")

md("""
## Summary

- The latent space of a GAN is just its input space; each $z$ is a digit, and a seed names one.
- A Gaussian $z$ in $d$ dimensions lives on a thin shell of radius $\\approx\\sqrt d$. Straight-line
  interpolation cuts through the inside, where the generator never looked; slerp stays on the shell.
  For a uniform prior the straight line is the one that stays in the support.
- The directions that change the image most are the top eigenvectors of $\\mathbb{E}_z[J^\\top J]$, and
  backpropagation with random probes estimates that matrix without ever forming a Jacobian.
- The nearest training image, compared with the same distance for unseen real digits, checks for
  memorisation.

## Exercises

1. Replace the 2,048 samples in `latent_directions` by 256, then by 16,384. How much do the top
   directions move (`abs(d_old @ d_new)`)? Which ones are stable, and why do nearly equal eigenvalues
   make their eigenvectors unstable?
2. Estimate $M$ exactly instead: for a few hundred $z$, compute the full Jacobian by finite differences
   (one forward pass per latent coordinate) and compare its top eigenvectors with the Hutchinson ones.
3. In the explorer, find a direction and a seed where the classifier's answer changes (say from 4 to 9)
   as you move one slider. What does the digit look like at the boundary?
4. Train a generator with `latent_dist="uniform"` (notebook 04) and load it in the explorer. Compare
   slerp and the straight line: which path's midpoints look worse now?
5. Take 1,000 random pairs of seeds and measure how far the image moves per step of $t$ along slerp and
   along lerp. Which path is "smoother", and does the answer depend on the prior?
""")

nbbuild.write_notebook("05-exploring-the-latent-space.ipynb", cells)
