"""Generate notebooks/06-evaluating-and-debugging.ipynb (without outputs).
Run: python notebooks/tools/build_06_evaluating_and_debugging.py"""

from nbbuild import code, md, write_notebook

cells = [
    md(r"""
    # 06 · Evaluating and debugging a GAN

    **What you will learn**

    - how to tell which digits a generator draws, and whether it has collapsed, with a classifier's class histogram;
    - the Fréchet distance in a classifier's feature space, and how to calibrate it with real images;
    - how to check for memorisation with nearest training images;
    - the Parzen-window log-likelihood of Goodfellow et al. (2014), how to compare with their Table 1, and why that
      number should be taken with a large grain of salt (Theis et al., 2016);
    - what the original blog post's configuration does when implemented correctly, why it fails, and what fixes it;
    - a checklist for debugging GAN training.

    **Run time:** about 6 minutes on a laptop CPU (most of it training the original post's configuration, and the
    Parzen windows); about a minute with `GANLIB_FAST=1` (fewer samples, one epoch on 5,000 images, so the numbers
    are not comparable with the paper's).
    """),
    code(r"""
    import os
    import time
    from pathlib import Path

    import matplotlib.pyplot as plt
    import numpy as np
    from IPython.display import Markdown, display

    import ganlib
    from ganlib import viz
    from ganlib.checkpoint import default_generator_path, load_generator, runs_dir, sample_generator
    from ganlib.data import load_mnist, to_tanh_range
    from ganlib.gan import CONFIGS, GAN, TrainingDiverged
    from ganlib.losses import generator_loss
    from ganlib.metrics import (Classifier, class_histogram, classifier_frechet_distance, nearest_training_distance,
                                parzen_evaluation)

    FAST = os.environ.get("GANLIB_FAST") == "1"  # set by the test suite: shrink training
    N = 1_000 if FAST else 10_000  # samples to evaluate; the paper's protocol uses 10,000
    REPO = runs_dir().parent  # the repository root
    """),
    md(r"""
    ## 1. The generator to evaluate

    We evaluate the generator trained in notebook 04, `runs/04-training-live/checkpoint.npz`, if you have run it; else
    the generator shipped with the repository, `data/generator.npz` (the same configuration, trained the same way).
    As a last resort, the shrunk model of a `GANLIB_FAST=1` run of notebook 04. `load_generator` reads either kind of
    file and returns the generator with its metadata, which says how to draw $z$.
    """),
    code(r"""
    candidates = [
        runs_dir("04-training-live") / "checkpoint.npz",  # notebook 04, full run
        default_generator_path(),  # data/generator.npz, shipped
        runs_dir("04-training-live-fast") / "checkpoint.npz",  # notebook 04 with GANLIB_FAST=1
    ]
    path = next((p for p in candidates if p.exists()), None)
    assert path is not None, "no trained generator found: run notebook 04 first"
    G, meta = load_generator(path)
    latent_dim, latent_dist = meta["config"]["latent_dim"], meta["config"]["latent_dist"]
    print(f"generator: {path.relative_to(REPO)}, trained {meta['epoch']} epochs ({meta['iteration']} iterations); "
          f"z ~ {latent_dist} in {latent_dim} dimensions")

    samples = sample_generator(G, meta, N)  # (N, 784) float32 in [-1, 1], z drawn from the generator's own prior
    assert samples.shape == (N, 784) and np.abs(samples).max() <= 1
    viz.show_grid(samples[:100], nrow=20, title="100 samples");
    """),
    md(r"""
    Real images to compare with, all in $[-1, 1]$: the 50,000 training images the GAN saw, and two sets it never
    saw, the 10,000 validation images (training file rows 50,000 to 59,999) and the 10,000 test images.
    """),
    code(r"""
    X_train = to_tanh_range(load_mnist("train")[0])  # (50000, 784)
    X_val = to_tanh_range(load_mnist("validation")[0])  # (10000, 784)
    X_test, y_test = load_mnist("test")
    X_test = to_tanh_range(X_test)  # (10000, 784)
    """),
    md(r"""
    ## 2. Which digits? The class histogram

    A GAN has no labels, so we ask a separate MNIST classifier, built from the same `ganlib` layers
    (784-512-256-10 with ReLU and dropout, trained with `python -m ganlib train-classifier`, weights in
    `data/classifier.npz`). First, how much to trust it:
    """),
    code(r"""
    clf = Classifier.load()
    print(f"classifier: test accuracy {clf.accuracy(X_test, y_test):.2%}")
    """),
    md(r"""
    Then label every sample and count. With $p_c$ the fraction of samples labelled $c$, `class_histogram` reports

    - **classes covered**: how many digits get at least 1 % of the samples (10 for a healthy generator);
    - **KL to uniform**: $\mathrm{KL}(p \,\|\, u) = \sum_c p_c \log \frac{p_c}{1/10}$ in nats, 0 when all ten digits are equally
      frequent, $\log 10 \approx 2.303$ when every sample is the same digit (MNIST itself is not exactly uniform: about
      11 % of its digits are ones, so real images score slightly above 0);
    - **mean confidence**: the average of the classifier's largest softmax probability; low values mean digits the
      classifier cannot read, i.e. poor samples.

    The same on as many real validation images, to calibrate:
    """),
    code(r"""
    hist = class_histogram(samples, clf)
    hist_real = class_histogram(X_val[:N], clf)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), layout="constrained")
    viz.plot_class_histogram(hist, ax=axes[0], title=f"{N:,} generated samples")
    viz.plot_class_histogram(hist_real, ax=axes[1], title=f"{N:,} real validation images");
    if not FAST:  # a healthy generator draws (nearly) every digit, in roughly equal shares
        assert hist["classes_covered"] >= 9 and hist["kl_to_uniform"] < 0.25
    """),
    md(r"""
    Histograms can hide bad samples behind correct proportions, so look at them sorted by the classifier's label:
    one row per digit, the first ten samples labelled so (a row stays black when fewer samples got that label).
    """),
    code(r"""
    labels = clf.predict(samples)
    rows = []
    for c in range(10):
        picked = samples[labels == c][:10]
        rows.append(np.concatenate([picked, -np.ones((10 - len(picked), 784), np.float32)]))
    viz.show_grid(np.concatenate(rows), nrow=10, title="samples by predicted digit (rows 0 to 9)");
    """),
    md(r"""
    ## 3. How close to real, as a whole? The Fréchet distance

    The class histogram ignores what happens inside a class. The Fréchet distance compares whole distributions through
    features: pass both sample sets through the classifier, take its last hidden layer (256 values per image), fit a
    Gaussian to each set (means $\mu_a, \mu_b$, covariances $\Sigma_a, \Sigma_b$), and compute the squared
    2-Wasserstein distance between the two Gaussians (Dowson & Landau, 1982):

    $$
    d^2 = \lVert \mu_a - \mu_b \rVert^2 + \operatorname{Tr}\!\Big(\Sigma_a + \Sigma_b - 2\big(\Sigma_a \Sigma_b\big)^{1/2}\Big).
    $$

    This is the FID of Heusel et al. (2017), with an MNIST classifier in place of the Inception network, so its values
    are not comparable with published FIDs. Lower is better; 0 means identical feature statistics. The estimate is
    biased upwards for small sets, so compare only at the same $N$, and calibrate with real images that are not in
    the reference set: validation vs test gives the floor, an untrained generator a ceiling.
    """),
    code(r"""
    untrained = GAN(CONFIGS["default"]).sample(N, rng=0)  # grey noise, as in notebook 03
    fd = {
        "real validation images": classifier_frechet_distance(X_val[:N], X_test, clf),
        "our generator": classifier_frechet_distance(samples, X_test, clf),
        "untrained generator": classifier_frechet_distance(untrained, X_test, clf),
    }
    for name, value in fd.items():
        print(f"Fréchet distance to the 10,000 test images, {N:,} {name:<24} {value:8.2f}")
    assert fd["real validation images"] < fd["our generator"]
    if not FAST:  # a trained generator is far closer to the data than noise
        assert fd["our generator"] < fd["untrained generator"] / 2
    """),
    md(r"""
    ## 4. Memorisation? The nearest training image

    A generator could score well on everything above by reproducing training images. For each sample we find the
    closest of the 50,000 training images (Euclidean distance in $[-1, 1]$ pixel space; a copy would be at 0) and
    compare with the same distance for real images the GAN never saw, the validation set. If the samples are not
    markedly closer to the training set than fresh real digits are, the generator is not copying.
    """),
    code(r"""
    n_nn = 200 if FAST else 1_000
    dist, idx = nearest_training_distance(samples[:n_nn], X_train)
    dist_val, _ = nearest_training_distance(X_val[:n_nn], X_train)
    print(f"nearest-training distance: samples median {np.median(dist):.2f} (min {dist.min():.2f}), "
          f"validation images median {np.median(dist_val):.2f} (min {dist_val.min():.2f})")

    fig, ax = plt.subplots(figsize=(7, 2.6), layout="constrained")
    bins = np.linspace(0, max(dist.max(), dist_val.max()), 50)
    ax.hist(dist_val, bins=bins, alpha=0.6, label="real validation images")
    ax.hist(dist, bins=bins, alpha=0.6, label="generated samples")
    ax.set_xlabel("distance to the nearest training image")
    ax.legend(fontsize=8);
    """),
    md(r"""
    The eight samples closest to the training set, the most suspicious ones, above their nearest training images:
    """),
    code(r"""
    closest = np.argsort(dist)[:8]
    fig, axes = plt.subplots(2, 8, figsize=(10, 2.9), layout="constrained")
    for j, i in enumerate(closest):
        axes[0, j].imshow(samples[i].reshape(28, 28), cmap="gray", vmin=-1, vmax=1)
        axes[0, j].set_title(f"d = {dist[i]:.1f}", fontsize=9)
        axes[1, j].imshow(X_train[idx[i]].reshape(28, 28), cmap="gray", vmin=-1, vmax=1)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("sample", fontsize=9)
    axes[1, 0].set_ylabel("nearest\ntraining image", fontsize=9);
    """),
    md(r"""
    If even the closest samples differ from their neighbours in stroke thickness, slant or length, they are
    variations, not copies. A caveat from Theis et al. (2016): this test catches copying of whole images only. A model that pasted together
    pieces of training images, or shifted them by a pixel, would pass it.
    """),
    md(r"""
    ## 5. The paper's number: Parzen-window log-likelihood

    A GAN has no likelihood we can compute. Goodfellow et al. (2014), following Breuleux et al. (2011), estimated
    one by putting a Gaussian of width $\sigma$ on each of $N = 10{,}000$ samples $s_i$ (pixels scaled to $[0, 1]$) and
    asking how likely the test images are under that mixture:

    $$
    \log \hat p(x) = \log \frac1N \sum_{i=1}^N \mathcal N(x;\, s_i,\, \sigma^2 I)
    = \operatorname*{logsumexp}_i\Big(-\frac{\lVert x - s_i\rVert^2}{2\sigma^2}\Big) - \log N - \frac d2 \log(2\pi\sigma^2),
    \qquad d = 784.
    $$

    The protocol: $\sigma$ is chosen from ten values between 0.1 and 1 on validation images, and the reported number is
    the mean of $\log \hat p(x)$ over the 10,000 test images, $\pm$ its standard error. `parzen_evaluation` does exactly
    that (on the first 1,000 validation images). As a reference we score the training set itself: $N$ real training
    images as "samples", the best a generator that reproduces the data distribution could hope for.
    """),
    code(r"""
    parzen = parzen_evaluation(samples)
    parzen_train = parzen_evaluation(X_train[:N])  # real images as "samples"
    for name, p in [("our generator", parzen), ("training images", parzen_train)]:
        print(f"{name:<16} {p['mean']:7.1f} ± {p['std_error']:.1f} nats  (sigma {p['sigma']:.3f}, "
              f"{p['n_samples']:,} samples, {p['seconds']:.0f} s)")

    fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
    for name, p in [("our generator", parzen), ("training images", parzen_train)]:
        ax.plot(p["sigmas"], p["validation_means"], "o-", label=name)
    ax.set_xscale("log")
    ax.set_xlabel(r"kernel width $\sigma$")
    ax.set_ylabel("mean validation log-likelihood")
    ax.legend(fontsize=8);
    """),
    code(r"""
    note = "" if not FAST else f" (FAST mode: only {N:,} samples, not comparable with the table)"
    rows = [
        "| model (MNIST, Parzen-window estimate) | log-likelihood (nats) |",
        "|---|---|",
        "| DBN (Goodfellow et al., 2014, Table 1) | 138 ± 2 |",
        "| Stacked CAE (ibid.) | 121 ± 1.6 |",
        "| Deep GSN (ibid.) | 214 ± 1.1 |",
        "| Adversarial nets (ibid.) | 225 ± 2 |",
        f"| **our GAN**, {N:,} samples{note} | **{parzen['mean']:.0f} ± {parzen['std_error']:.1f}** |",
        f"| the training images themselves, {N:,} | {parzen_train['mean']:.0f} ± {parzen_train['std_error']:.1f} |",
    ]
    display(Markdown("\n".join(rows)))
    """),
    md(r"""
    **Why not to trust this number much** (Theis, van den Oord & Bethge, 2016, "A note on the evaluation of generative
    models"):

    - In 784 dimensions, 10,000 Gaussians are far too few to approximate a density. The estimate is dominated by the
      distance from each test image to its nearest sample and stays far from the true log-likelihood even with many
      more samples.
    - It can rank models absurdly: a $k$-means model whose 10,000 "samples" are cluster centres (blurry averages of
      digits) scores *higher* than the training data itself, and sharp, realistic samples can score worse than blurry
      ones.
    - It mostly rewards covering the test set at one scale $\sigma$, not the quality of individual samples.

    So the table above says that our NumPy GAN lands in the same range as the 2014 paper's, measured the same way; it
    does not say which model is better. Use it for comparison with the literature, and the class histogram, the
    Fréchet distance, the nearest neighbours and your eyes for everything else.
    """),
    md(r"""
    ## 6. The original post's configuration, implemented correctly

    The blog post this series grew from trained a small GAN with its own NumPy framework. In `ganlib` its settings are
    `CONFIGS["original_post"]`. Where they differ from the default configuration of notebook 04:
    """),
    code(r"""
    post_cfg, default_cfg = CONFIGS["original_post"], CONFIGS["default"]
    print(f"{'field':<16} {'original post':<16} {'default':<16}")
    for field, value in post_cfg.to_dict().items():
        if value != default_cfg.to_dict()[field]:
            print(f"{field:<16} {str(value):<16} {str(default_cfg.to_dict()[field]):<16}")
    """),
    md(r"""
    That is: G 100-256-784 and D 784-64-1 with LeakyReLU slope 0.01, SGD with learning rate 0.01 decayed as
    $\text{lr}_t = 0.01 / (1 + 10^{-4}\, t)$, uniform $z \in [-1, 1]^{100}$, the minimax generator loss, $m = 100$, $k = 1$.
    The post trained for 100 epochs, and its log ended at `loss_g 0.689197 loss_d 0.712495`, both close to
    $\log 2 \approx 0.693$: it looks like the equilibrium $D \equiv 1/2$. It was not. Its framework had the bugs that
    notebooks 02 to 04 test for (the sigmoid's derivative applied twice, the discriminator updated during the generator's
    step, a cache that kept the generator's weights from ever changing), so those numbers describe the bugs, not the
    configuration.

    What does the configuration itself do? We train it with `ganlib` for 30 epochs (15,000 iterations; the post ran 100,
    but the outcome is settled long before, and 30 epochs take a few minutes); in FAST mode one epoch on 5,000
    images.
    """),
    code(r"""
    post = GAN(post_cfg)
    post_epochs = 1 if FAST else 30
    X_post = X_train[:5000] if FAST else X_train
    start = time.perf_counter()
    post_history = post.train(X_post, epochs=post_epochs, progress=not FAST)
    print(f"{post.iteration} iterations in {time.perf_counter() - start:.0f} s")
    """),
    code(r"""
    post_samples = post.sample(N, rng=0)
    hist_post = class_histogram(post_samples, clf)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", gridspec_kw={"width_ratios": [1, 1.3]})
    viz.show_grid(post.generate(post.fixed_z), ax=axes[0], title=f"original post's configuration, after epoch {post.epoch}")
    viz.plot_class_histogram(hist_post, ax=axes[1], title="its class histogram");
    print(f"Fréchet distance: {classifier_frechet_distance(post_samples, X_test, clf):.1f} "
          f"(our generator {fd['our generator']:.1f}, untrained {fd['untrained generator']:.1f})")
    if not FAST:  # collapsed: (nearly) every sample gets the same label
        assert hist_post["kl_to_uniform"] > 1.0
    """),
    md(r"""
    It collapses. Every sample is the same fuzzy blob (which the classifier, without much conviction, files under one
    digit), and it barely changes with $z$: the generator has not even escaped from noise. The curves say why:
    """),
    code(r"""
    a = post_history.arrays()
    per_epoch = len(X_post) // post_cfg.batch_size
    fig, axes = plt.subplots(1, 2, figsize=(11, 3), layout="constrained")
    smooth = max(1, per_epoch // 5)
    axes[0].plot(viz.moving_average(a["loss_d"], smooth), label="$L_D$")
    axes[0].plot(viz.moving_average(a["loss_g"], smooth), label=r"$L_G = \frac{1}{m}\sum\log(1 - D(G(z)))$ (minimax)")
    axes[0].axhline(2 * np.log(2), color="C0", ls=":", lw=1, label=r"$2\log 2$")
    axes[0].axhline(-np.log(2), color="C1", ls=":", lw=1, label=r"$-\log 2$")
    axes[1].plot(viz.moving_average(a["d_real"], smooth), color="C2", label="mean $D(x)$")
    axes[1].plot(viz.moving_average(a["d_fake"], smooth), color="C3", label="mean $D(G(z))$")
    axes[1].axhline(0.5, color="k", ls="--", lw=1)
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)

    last = slice(-per_epoch, None)
    print(f"last epoch: L_D {a['loss_d'][last].mean():.3f}, L_G {a['loss_g'][last].mean():.3f}, "
          f"D(x) {a['d_real'][last].mean():.3f}, D(G(z)) {a['d_fake'][last].mean():.3f}")
    """),
    md(r"""
    The discriminator wins within an epoch or two: $D(x) \to 1$, $D(G(z)) \to 0$, $L_D \to 0$, nothing like the post's
    flat 0.69 / 0.71. And once $D$ rejects the fakes confidently, the **minimax** generator loss stops teaching. Its
    gradient with respect to the logit is $\partial L_G / \partial s = -\sigma(s)/m = -D(G(z))/m$ (notebook 01), which
    vanishes exactly when the generator is bad; the non-saturating loss's is $(\sigma(s) - 1)/m \approx -1/m$ there. On
    this discriminator and these fakes:
    """),
    code(r"""
    s = post.D.forward(post.G.forward(post.sample_latent(1000)))  # logits of fresh fakes, (1000, 1)
    _, g_minimax = generator_loss(s, "minimax")
    _, g_ns = generator_loss(s, "non_saturating")
    ratio = np.abs(g_ns).mean() / np.abs(g_minimax).mean()
    print(f"mean |dL_G/ds|: minimax {np.abs(g_minimax).mean():.2e}, non-saturating {np.abs(g_ns).mean():.2e} "
          f"({ratio:.0f} times larger)")
    """),
    md(r"""
    With SGD the step is proportional to that gradient, and the decaying learning rate shrinks it further
    ($0.01 / (1 + 10^{-4} \cdot 15{,}000) = 0.004$ after 30 epochs): the generator is stuck. Its samples still all look
    alike because nothing pushes them apart. The discriminator has only to recognise one blob, and a generator that
    hardly moves cannot discover the other modes.

    **What fixes it** is the set of changes in the default configuration, each with a reason:

    | change | original post | default | why |
    |---|---|---|---|
    | generator loss | minimax $\log(1 - D(G(z)))$ | non-saturating $-\log D(G(z))$ | strong gradients exactly when $D$ rejects the fakes (Goodfellow et al., 2014, Section 3) |
    | optimizer | SGD, lr 0.01, decay $10^{-4}$ | Adam, lr $2 \cdot 10^{-4}$, $\beta_1 = 0.5$ | per-parameter step sizes that do not shrink with the gradient's scale; $\beta_1 = 0.5$ reacts faster to the moving target (Radford et al., 2016) |
    | discriminator | 784-64-1 | 784-512-256-1 | a critic with the capacity to tell *which* features are wrong gives the generator informative gradients, not just "reject" |
    | generator | 100-256-784 | 100-256-512-784 | more capacity to draw ten different digits |
    | LeakyReLU slope | 0.01 | 0.2 | units with negative input still pass a useful gradient |
    | latent prior | uniform $[-1, 1]^{100}$ | $N(0, I)$ | a minor change; either works with the other fixes |
    | minibatch | 100 | 128 | minor |

    The result is the generator of notebook 04, evaluated in sections 2 to 5 above:
    """),
    code(r"""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), layout="constrained")
    viz.plot_class_histogram(hist_post, ax=axes[0], title="original post's configuration")
    viz.plot_class_histogram(hist, ax=axes[1], title="default configuration (notebook 04)");
    """),
    md(r"""
    Each change can be tried on its own with `post_cfg.replace(...)`. When we did (five epochs each, not shown here to
    keep the run time down), no single change rescued the original configuration, and neither did some pairs: with the
    non-saturating loss alone, with Adam alone, with both together (still on the small networks), or with Gaussian $z$
    and the wider discriminator (still with SGD and the minimax loss), the samples stayed blobs the classifier could
    hardly read, with Fréchet distances above 300, as far from the data as untrained noise, and in most of these runs
    all of one class. It takes the changes together, which is why the default configuration makes all of them. Exercise 1
    asks you to find a smaller set that suffices.
    """),
    md(r"""
    ## 7. A debugging checklist

    Most GAN bugs do not crash: the loop runs, the losses print, the samples are just bad. The symptoms, and what
    `ganlib` does or the notebooks showed about each:

    | symptom | likely cause | how to check |
    |---|---|---|
    | losses flat at about $\log 2$ from the start, samples never change | a network is not being updated (e.g. an update skipped, weights restored) | compare `flat_params` before and after a step (notebook 04, section 2) |
    | $D$ drifts toward being fooled by its own fakes | $D$ updated during the generator's step | `D.backward(..., need_param_grads=False)`; assert $D$ unchanged after `generator_step` |
    | the loss printed is not the loss trained | a wrong backward pass (the double sigmoid) | gradient checks for every layer and loss (notebook 02) |
    | $L_D \to 0$, $D(G(z)) \to 0$, samples stuck | $D$ won and the generator's gradient vanished | use the non-saturating loss; compare gradient magnitudes (section 6) |
    | all samples the same digit | mode collapse | the class histogram (section 2) |
    | memory grows every iteration | caches or histories that keep every batch | a memory check over many iterations; `ganlib`'s layers cache only the last batch |
    | a NaN in the losses | too large a step, bad data | `train` raises `TrainingDiverged` before applying the update (below) |

    The last row, simulated by putting a NaN into one weight of the discriminator:
    """),
    code(r"""
    broken = GAN(CONFIGS["default"])
    broken.D.flat_params[0] = np.nan  # simulate a blow-up
    G_before = broken.G.flat_params.copy()
    try:
        broken.train(X_train[:1280], epochs=1, progress=False)
    except TrainingDiverged as err:
        print("TrainingDiverged:", err)
        print(f"iterations completed: {broken.iteration}; G unchanged: {np.array_equal(broken.G.flat_params, G_before)}")
    assert broken.iteration == 0 and np.array_equal(broken.G.flat_params, G_before)
    """),
    md(r"""
    Training stops at the first non-finite loss, before that step's update, and the error says what to try. The
    weights are those of the last good iteration, so a checkpoint saved then is still usable.
    """),
    md(r"""
    ## Summary

    - The class histogram from an MNIST classifier shows which digits a generator draws: classes covered, KL divergence
      to uniform, mean confidence. Compare with real images to calibrate.
    - The Fréchet distance in the classifier's feature space summarises sample quality and diversity in one number;
      it is only meaningful against references at the same $N$ (real vs real, untrained generator).
    - Nearest training images check for copying of whole images; compare with the same distance for unseen real digits.
    - The Parzen-window estimate reproduces the 2014 paper's protocol and puts our GAN beside its Table 1, but it is a
      poor likelihood estimate in 784 dimensions and can rank models absurdly (Theis et al., 2016).
    - Implemented correctly, the original post's configuration collapses: its discriminator wins, the minimax generator
      loss saturates, and the generator is stuck on one blob. The non-saturating loss, Adam and wider networks fix it;
      the post's flat 0.69 / 0.71 losses came from its bugs, not from an equilibrium.
    - `ganlib` stops on a non-finite loss before the bad update (`TrainingDiverged`).

    ## Exercises

    1. Start from `post_cfg.replace(generator_loss="non_saturating", optimizer="adam", lr_g=2e-4, lr_d=2e-4, beta1=0.5)`
       and widen the networks step by step (`d_hidden=(256,)`, then `(512, 256)`, then `g_hidden=(256, 512)`), training
       each for 5 epochs. Which is the smallest change that makes the generator draw all ten digits?
    2. Evaluate the class histogram and the Fréchet distance of the generator of notebook 04 after each epoch (use a
       callback with `callback_every=390`) and plot them. When does the generator cover all ten digits?
    3. Compute the Parzen estimate with 1,000, 3,000 and 10,000 samples of the same generator. How much does the number
       change, and in which direction? What does that say about comparing numbers from different papers?
    4. Build the $k$-means "model" of Theis et al. (2016): run a few iterations of $k$-means with $k = 10{,}000$ on the
       training images (or take 10,000 averages of random pairs of training images of the same digit) and score the
       centres with `parzen_evaluation`. How does it compare with the training images themselves?
    5. Make the generator copy: let `samples` be 10,000 training images shifted by one pixel (`np.roll` on the
       $28 \times 28$ view). What do the nearest-neighbour test, the Fréchet distance and the Parzen estimate say?
    """),
]

if __name__ == "__main__":
    write_notebook("06-evaluating-and-debugging.ipynb", cells)
