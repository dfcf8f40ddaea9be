"""Generate notebooks/04-training-live.ipynb (without outputs). Run: python notebooks/tools/build_04_training_live.py"""

from nbbuild import code, md, write_notebook

cells = [
    md(r"""
    # 04 · Training live on MNIST

    **What you will learn**

    - Algorithm 1 of Goodfellow et al. (2014), line by line, and how it maps onto `ganlib`;
    - what one iteration does: the discriminator's step changes only $D$, the generator's step only $G$;
    - how to train a GAN on MNIST while watching its losses and samples update live;
    - how to read the loss curves: what equilibrium looks like, and why "the loss went down" means little here;
    - how to save a checkpoint, resume training bit for bit, and stop training safely with Ctrl-C.

    **Run time:** about 8 minutes on a laptop CPU (30 epochs of 390 iterations); about a minute with `GANLIB_FAST=1`
    (one epoch on 5,000 images, so the samples stay blurry).
    """),
    code(r"""
    import os
    import signal
    import time
    from pathlib import Path

    import matplotlib.pyplot as plt
    import numpy as np

    import ganlib
    from ganlib import viz
    from ganlib.checkpoint import load_checkpoint, runs_dir, save_checkpoint
    from ganlib.data import load_mnist, to_tanh_range
    from ganlib.gan import CONFIGS, GAN
    from ganlib.viz import LiveTrainingDisplay

    FAST = os.environ.get("GANLIB_FAST") == "1"  # set by the test suite: shrink training

    REPO = runs_dir().parent  # the repository root
    # A quick run writes elsewhere, so that the tests never overwrite a fully trained model.
    RUN_DIR = runs_dir("04-training-live-fast" if FAST else "04-training-live")  # <repo>/runs/ is not in git
    """),
    md(r"""
    ## 1. Algorithm 1

    Goodfellow et al. (2014) train the two networks in alternation. With minibatch size $m$ and $k$ discriminator
    steps per generator step:

    **for** each training iteration:

    1. **repeat $k$ times:**
        - sample $m$ noise vectors $z^{(1)}, \dots, z^{(m)} \sim p_z$ and $m$ examples $x^{(1)}, \dots, x^{(m)}$ from the data;
        - update $D$ by **ascending** its stochastic gradient
          $\nabla_{\theta_D} \frac1m \sum_{i=1}^m \big[\log D(x^{(i)}) + \log\big(1 - D(G(z^{(i)}))\big)\big]$;
    2. sample $m$ fresh noise vectors $z^{(1)}, \dots, z^{(m)} \sim p_z$;
    3. update $G$ by **descending** its stochastic gradient
       $\nabla_{\theta_G} \frac1m \sum_{i=1}^m \log\big(1 - D(G(z^{(i)}))\big)$.

    In `ganlib` (module `ganlib.gan`):

    | Algorithm 1 | `ganlib` |
    |---|---|
    | the inner loop's update of $D$ | `gan.discriminator_step(x_real)`: minimises $L_D = -\frac1m\sum[\log D(x) + \log(1 - D(G(z)))]$, the same thing as ascending $V$ |
    | the update of $G$ | `gan.generator_step(m)`: by default the **non-saturating** $L_G = -\frac1m \sum \log D(G(z))$ that the paper recommends in practice (notebook 01); `generator_loss="minimax"` gives the line above |
    | one iteration | `gan.train_iteration(batches)`: $k$ discriminator steps, then one generator step |
    | the outer loop | `gan.train(X, epochs=...)`: shuffles the data every epoch, records the losses, calls back |

    "Update" means one step of an optimizer; the default configuration uses Adam (Kingma & Ba, 2015) with learning
    rate $2 \cdot 10^{-4}$ and $\beta_1 = 0.5$ for both networks (Radford et al., 2016), $m = 128$ and $k = 1$.
    """),
    md(r"""
    ## 2. One iteration, by hand

    Let us run the two steps of one iteration ourselves on a fresh GAN, and watch which parameters move. First
    the data, as in notebook 03 (in FAST mode only the first 5,000 images):
    """),
    code(r"""
    X = to_tanh_range(load_mnist("train")[0])  # (50000, 784) float32 in [-1, 1]
    if FAST:
        X = X[:5000]
    print("X", X.shape, X.dtype)

    demo = GAN(CONFIGS["default"])
    m = demo.config.batch_size
    D0, G0 = demo.D.flat_params.copy(), demo.G.flat_params.copy()  # snapshots of all parameters
    """),
    md(r"""
    **The discriminator's step** on a real minibatch and $m$ fresh fakes. It returns $L_D$ and the mean of $D$ on the
    real and on the fake images, all measured *before* the update:
    """),
    code(r"""
    loss_d, d_real, d_fake = demo.discriminator_step(X[:m])  # x_real: (128, 784)
    D1, G1 = demo.D.flat_params.copy(), demo.G.flat_params.copy()
    print(f"L_D = {loss_d:.4f} (2 log 2 = {2 * np.log(2):.4f}),  mean D(x) = {d_real:.3f},  mean D(G(z)) = {d_fake:.3f}")
    print(f"D moved: max |Δθ_D| = {np.abs(D1 - D0).max():.2e}, median {np.median(np.abs(D1 - D0)):.2e}")
    print(f"G moved: {not np.array_equal(G1, G0)}")
    assert not np.array_equal(D1, D0) and np.array_equal(G1, G0)
    """),
    md(r"""
    Only $D$ moved. Note the size of the change: Adam's first step divides the gradient by its own magnitude,
    $\Delta\theta = -\text{lr} \cdot \hat m / (\sqrt{\hat v} + \epsilon) = -\text{lr} \cdot g / (|g| + \epsilon)$, so almost every
    parameter moves by almost exactly the learning rate, $2 \cdot 10^{-4}$.

    **The generator's step** on $m$ fresh latent vectors. The gradient flows back through $D$ (notebook 03, section 8),
    but $D$'s parameters must stay exactly as they are: otherwise the generator's step would also teach the
    discriminator to be fooled, which is one of the bugs of the original post's framework.
    """),
    code(r"""
    loss_g = demo.generator_step(m)
    D2, G2 = demo.D.flat_params.copy(), demo.G.flat_params.copy()
    print(f"L_G = {loss_g:.4f} (non-saturating; log 2 = {np.log(2):.4f})")
    print(f"G moved: max |Δθ_G| = {np.abs(G2 - G1).max():.2e}")
    print(f"D moved: {not np.array_equal(D2, D1)}")
    assert np.array_equal(D2, D1) and not np.array_equal(G2, G1)  # bit for bit: D untouched
    """),
    md(r"""
    That is one iteration: `demo.train_iteration([X[:m]])` does the same in one call, and `gan.train` repeats it
    with a new shuffled minibatch each time, 390 times per epoch over the 50,000 images
    ($\lfloor 50{,}000 / 128 \rfloor$; the last partial batch is skipped).
    """),
    md(r"""
    ## 3. The real run, live

    Now a fresh GAN with the default configuration, trained for its configured number of epochs (30; one in FAST mode).
    Every `callback_every` iterations `gan.train` calls `live(gan)`; a `LiveTrainingDisplay` then redraws one picture
    in place: the losses, the discriminator's outputs, and the generator's samples for a **fixed** batch of 64 latent
    vectors `gan.fixed_z`, so that you watch the same 64 "seeds" turn into digits. The progress bar shows iterations
    per second and the latest losses.

    To stop early, press the notebook's stop button (or Ctrl-C in a terminal): training stops after the current
    iteration and `train` returns the history so far (section 7).
    """),
    code(r"""
    gan = GAN(CONFIGS["default"])
    epochs = 1 if FAST else gan.config.epochs
    live = LiveTrainingDisplay()

    start = time.perf_counter()
    history = gan.train(X, epochs=epochs, callback=live, callback_every=10 if FAST else 200,
                        snapshot_every=10 if FAST else None)  # snapshots of gan.fixed_z: default once per epoch
    seconds = time.perf_counter() - start
    print(f"{gan.iteration} iterations ({gan.epoch} epochs) in {seconds / 60:.1f} min, "
          f"{gan.iteration / seconds:.1f} iterations/s")
    assert len(history) == gan.iteration == epochs * (len(X) // gan.config.batch_size)
    """),
    md(r"""
    ## 4. Reading the curves

    `viz.plot_losses` draws the whole history: on the left both losses per iteration (faint) and their moving
    averages, on the right the mean $D(x)$ on real and $D(G(z))$ on fake minibatches.
    """),
    code(r"""
    viz.plot_losses(history, smooth=10 if FAST else 200);
    """),
    code(r"""
    h = history.arrays()
    last = slice(-min(len(h["loss_d"]), 390), None)  # the last epoch
    summary = {name: float(h[name][last].mean()) for name in ("loss_d", "loss_g", "d_real", "d_fake")}
    print("over the last epoch: " + ", ".join(f"mean {k} = {v:.3f}" for k, v in summary.items()))
    print(f"at equilibrium (D = 1/2 everywhere): loss_d = 2 log 2 = {2 * np.log(2):.3f}, loss_g = log 2 = {np.log(2):.3f}, "
          "d_real = d_fake = 0.5")
    assert all(np.isfinite(v) for v in summary.values())
    if not FAST:  # a healthy run: D ahead but not winning outright
        assert 0.3 < summary["loss_d"] < 1.6 and summary["d_real"] > summary["d_fake"] > 0.05
    """),
    md(r"""
    How to read them:

    - **The ideal end point** is the equilibrium of notebook 01: $p_g = p_{data}$, so the best discriminator outputs
      $1/2$ for everything, $L_D = 2 \log 2 \approx 1.386$ and the non-saturating $L_G = \log 2 \approx 0.693$ (the dotted
      lines). A real run never gets there: the networks are finite and $D$ keeps an edge, so $L_D$ settles *below*
      $1.386$, $L_G$ *above* $0.693$, and $D(x)$ stays above $D(G(z))$. What matters is that the curves settle into a
      band and stay there, with $D(x)$ and $D(G(z))$ both away from 0 and 1.
    - **The first few hundred iterations** are a race. $D$ learns to reject the grey noise quickly ($L_D$ drops, $D(G(z))$
      falls), then $G$ catches up as soon as its samples start to look like strokes on black.
    - **Losses are not a quality measure.** Unlike supervised training there is no loss that goes to zero: each network's
      loss depends on the other one, which keeps improving. Slowly drifting curves while the samples get sharper are
      normal. The samples (and the metrics of notebook 06) say how good the generator is.
    - **Warning signs:** $L_D \to 0$ with $D(x) \to 1$ and $D(G(z)) \to 0$ means $D$ has won and the generator's gradient
      vanishes (we will meet this in notebook 06); losses that suddenly jump or go NaN mean the step size is too large;
      samples of the fixed batch that all look alike mean mode collapse.
    """),
    md(r"""
    ## 5. Samples

    The fixed batch (the live display's last frame) and 64 new samples from latent vectors the generator has never
    been shown in a snapshot:
    """),
    code(r"""
    fig, axes = plt.subplots(1, 2, figsize=(10, 5.2), layout="constrained")
    viz.show_grid(gan.generate(gan.fixed_z), ax=axes[0], title=f"fixed z, after epoch {gan.epoch}")
    viz.show_grid(gan.sample(64, rng=1), ax=axes[1], title="new z");
    """),
    md(r"""
    ## 6. The whole run as a GIF

    `gan.train` keeps a snapshot of the fixed batch's images at the start and (by default) after every epoch, in
    `history.snapshots`. `viz.save_gif` turns them into an animation, here of the first 32 of the 64 images;
    `viz.show_gif` embeds it in the notebook, so it also plays in the saved file.
    """),
    code(r"""
    snaps = [s[:32] for s in history.snapshots]  # each (32, 784) float16 in [-1, 1]
    gif = viz.save_gif(snaps, RUN_DIR / "progress.gif", iterations=history.snapshot_iterations, fps=4)
    print(f"{len(snaps)} frames, {gif.stat().st_size / 1024:.0f} KiB: {gif.relative_to(REPO)}")
    viz.show_gif(gif)
    """),
    md(r"""
    ## 7. Checkpoints: save, resume, interrupt

    `save_checkpoint` writes everything needed to continue *exactly* where training stopped into one `.npz` file: both
    networks, both optimizers' state (Adam's moment estimates), the fixed batch, the history, the counters and the
    random generator's state. It holds plain arrays and JSON only (no pickle) and is written atomically, so a crash
    while saving never destroys the previous checkpoint.
    """),
    code(r"""
    path = save_checkpoint(gan, RUN_DIR / "checkpoint.npz")
    print(f"saved {path.relative_to(REPO)} ({path.stat().st_size / 2**20:.1f} MiB) after {gan.iteration} iterations")
    """),
    md(r"""
    `load_checkpoint` rebuilds the `GAN`; calling `train` on it continues the run. Because the random state is saved
    too, resuming is reproducible bit for bit: two copies loaded from the same file and trained on the same data end
    up identical. (A few iterations on 1,280 images are enough to show it.)
    """),
    code(r"""
    a, b = load_checkpoint(path), load_checkpoint(path)
    assert np.array_equal(a.G.flat_params, gan.G.flat_params) and a.iteration == gan.iteration
    a.train(X[:1280], epochs=1, progress=False)  # 10 more iterations each
    b.train(X[:1280], epochs=1, progress=False)
    print(f"resumed at iteration {gan.iteration}, now at {a.iteration}; identical: "
          f"G {np.array_equal(a.G.flat_params, b.G.flat_params)}, D {np.array_equal(a.D.flat_params, b.D.flat_params)}")
    assert np.array_equal(a.G.flat_params, b.G.flat_params) and np.array_equal(a.D.flat_params, b.D.flat_params)
    """),
    md(r"""
    The same from a terminal, at the repository root, with the command-line interface:

    ```bash
    python -m ganlib train --out runs/default                                        # a new run (default config)
    python -m ganlib train --resume runs/04-training-live/checkpoint.npz --epochs 10 # 10 more epochs of this one
    ```

    **Interrupting.** The stop button of a notebook (and Ctrl-C in a terminal) sends the signal `SIGINT`. During
    `gan.train` it does not raise `KeyboardInterrupt` in the middle of an update, which could leave half of a
    network's parameters updated; it sets a flag that `train` checks after each iteration. Training then returns
    the history with `history.interrupted = True`, the model consistent, ready to save or to continue with another
    `train` call; the command line saves a checkpoint before it exits. Here we send the signal ourselves, from a
    callback after the first iteration:
    """),
    code(r"""
    def press_stop(g):
        os.kill(os.getpid(), signal.SIGINT)  # what the stop button does


    c = load_checkpoint(path)
    h_c = c.train(X, epochs=1, progress=False, callback=press_stop, callback_every=1)
    print(f"interrupted: {h_c.interrupted}; iterations done after the signal: {c.iteration - gan.iteration}")
    assert h_c.interrupted and c.iteration == gan.iteration + 1
    """),
    md(r"""
    ## Summary

    - Algorithm 1 alternates $k$ discriminator steps (minimise $L_D$, i.e. ascend $V$) with one generator step through
      a frozen discriminator; `ganlib` uses the non-saturating generator loss, Adam with $\beta_1 = 0.5$, $m = 128$, $k = 1$.
    - One iteration by hand: the discriminator's step changes only $D$, the generator's step only $G$ (bit for bit).
    - `gan.train(X, epochs=..., callback=LiveTrainingDisplay(), callback_every=...)` shows the losses, $D$'s outputs and
      the fixed batch's samples live; `viz.plot_losses`, `viz.save_gif` and `viz.show_gif` show the run afterwards.
    - At equilibrium $L_D = 2 \log 2$, $L_G = \log 2$ and $D \equiv 1/2$. In practice $D$ keeps an edge, the curves settle
      into a band, and the samples, not the losses, say how good the generator is.
    - `save_checkpoint`/`load_checkpoint` save and resume a run bit for bit (also `python -m ganlib train --resume`);
      an interrupt stops after the current iteration and returns the history.

    ## Exercises

    1. Train with the minimax generator loss (`GAN(CONFIGS["default"], generator_loss="minimax")`) for one epoch and
       compare the first 200 iterations of $L_G$ and $D(G(z))$ with the default run. Which one leaves the starting
       point faster, and why (notebook 01, section on saturation)?
    2. Set $k = 5$ (`k=5`): five discriminator steps per generator step. How do the curves and the time per epoch change?
    3. Raise both learning rates tenfold (`lr_g=2e-3, lr_d=2e-3`). What happens to the curves and the samples?
    4. Turn on one-sided label smoothing (`real_label=0.9`, Salimans et al., 2016). Where does $D(x)$ settle now?
    5. Resume the checkpoint in `runs/04-training-live/` for 10 more epochs with the command line and load the result
       in notebook 06. Do the metrics improve?
    """),
]

if __name__ == "__main__":
    write_notebook("04-training-live.ipynb", cells)
