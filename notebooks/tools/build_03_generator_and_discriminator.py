"""Generate notebooks/03-generator-and-discriminator.ipynb (without outputs).
Run: python notebooks/tools/build_03_generator_and_discriminator.py"""

from nbbuild import code, md, write_notebook

cells = [
    md(r"""
    # 03 · Building the generator and the discriminator

    **What you will learn**

    - how MNIST is prepared for a GAN: 784 pixels per image, scaled to $[-1, 1]$ to match the generator's $\tanh$;
    - how to build $G$ and $D$ layer by layer from `ganlib`'s `Dense`, `LeakyReLU` and `Tanh`, and that this is exactly
      what `ganlib.gan` builds for the default configuration;
    - how many parameters each network has, counted by hand;
    - why the weights start from a Glorot uniform distribution, and what that does to the activations;
    - what the untrained networks do: $G$ draws grey noise, and $D$ says "50 %" to everything, for a reason;
    - the shapes of one forward and backward pass through $D(G(z))$.

    **Run time:** under a minute on a laptop CPU (nothing is trained here).
    """),
    code(r"""
    import matplotlib.pyplot as plt
    import numpy as np

    from ganlib import Dense, Dropout, LeakyReLU, Sequential, Tanh, viz
    from ganlib.data import load_mnist, to_tanh_range
    from ganlib.gan import CONFIGS, GAN, build_discriminator, build_generator
    from ganlib.layers import sigmoid
    from ganlib.losses import discriminator_loss, generator_loss

    config = CONFIGS["default"]  # the configuration notebook 04 trains
    """),
    md(r"""
    ## 1. The data: MNIST in $[-1, 1]$

    `load_mnist("train")` returns the first 50,000 of MNIST's 60,000 training images (the last 10,000 are the
    validation split, as in Goodfellow et al., 2014), each a $28 \times 28$ greyscale image flattened row by row
    into 784 bytes, with its label. The GAN never sees the labels; we use them only to look at the data.
    """),
    code(r"""
    images, labels = load_mnist("train")  # (50000, 784) uint8 in 0..255, (50000,) uint8
    print("images", images.shape, images.dtype, f"values {images.min()}..{images.max()}")
    print("labels", labels.shape, labels.dtype, "counts per digit:", np.bincount(labels, minlength=10))
    assert images.shape == (50_000, 784) and images.dtype == np.uint8
    viz.show_grid(images[:64], nrow=16, title="the first 64 training images");
    """),
    md(r"""
    The generator's last layer is a $\tanh$, whose outputs lie in $(-1, 1)$. For the discriminator to compare like with
    like, the real images must live in the same range, so we map each pixel $p \in \{0, \dots, 255\}$ to
    $x = p / 127.5 - 1$: black (0) becomes $-1$, white (255) becomes $+1$. Otherwise $D$ could tell real from fake
    by the range of the pixel values alone.
    """),
    code(r"""
    X = to_tanh_range(images)  # (50000, 784) float32 in [-1, 1]
    print("X", X.shape, X.dtype, f"min {X.min():.1f}, max {X.max():.1f}, mean {X.mean():.3f}")
    assert X.dtype == np.float32 and X.min() == -1.0 and X.max() == 1.0

    fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), layout="constrained")
    axes[0].hist(images[:1000].ravel(), bins=64, color="C0")
    axes[0].set_title("pixels as stored: uint8 in 0..255")
    axes[1].hist(X[:1000].ravel(), bins=64, color="C1")
    axes[1].set_title(r"after to_tanh_range: float32 in $[-1, 1]$")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_ylabel("count (log scale)")
    print(f"fraction of pixels exactly black (-1): {np.mean(X == -1):.1%}, exactly white (+1): {np.mean(X == 1):.1%}")
    """),
    md(r"""
    The scaling only relabels the axis. The shape of the histogram is the same: about four pixels in five are
    exactly black, a few percent are (nearly) white stroke centres, and the rest are anti-aliased edges in between. A good generator has
    to reproduce this too: mostly $-1$, sharp strokes, little grey. Note the mean of $-0.74$: the data are far from
    zero-centred, which is one more thing the untrained generator (whose outputs average about 0) gets wrong.
    """),
    md(r"""
    ## 2. The generator: $z \in \mathbb{R}^{100} \to x \in (-1, 1)^{784}$

    A multilayer perceptron: two hidden layers of 256 and 512 units with LeakyReLU (slope 0.2, so negative inputs
    keep a small gradient; Maas et al., 2013; Radford et al., 2016), and a $\tanh$ output of 784 units. Every `Dense`
    takes the same random generator `rng`, which draws its weights in turn.
    """),
    code(r"""
    rng = np.random.default_rng(0)
    G = Sequential(
        Dense(100, 256, rng=rng), LeakyReLU(0.2),   # z (N, 100) -> (N, 256)
        Dense(256, 512, rng=rng), LeakyReLU(0.2),   #   -> (N, 512)
        Dense(512, 784, rng=rng), Tanh(),           #   -> (N, 784), in (-1, 1)
    )
    """),
    md(r"""
    ## 3. The discriminator: $x \in \mathbb{R}^{784} \to$ one logit $s$

    The mirror image, 784 to 512 to 256, ending in a **single logit** $s$ per image, without a sigmoid: the
    probability $D(x) = \sigma(s)$ is folded into the loss, which is computed from logits for numerical stability
    (notebook 02). After each hidden layer, dropout (Srivastava et al., 2014) zeroes 30% of the units at random
    while training: $D$ cannot lean on a few pixels of particular training images, which measurably keeps the
    generator from dropping digits (see the README's results; the original GAN paper used dropout in $D$ too).
    Built right after $G$ from the same `rng`:
    """),
    code(r"""
    D = Sequential(
        Dense(784, 512, rng=rng), LeakyReLU(0.2), Dropout(0.3, rng=rng),   # x (N, 784) -> (N, 512)
        Dense(512, 256, rng=rng), LeakyReLU(0.2), Dropout(0.3, rng=rng),   #   -> (N, 256)
        Dense(256, 1, rng=rng),                                            #   -> logit s (N, 1); D(x) = sigmoid(s)
    )
    print("G:", G)
    print("D:", D)
    """),
    md(r"""
    This is exactly what `ganlib.gan` builds from the default configuration, `build_generator(config, rng)` and
    `build_discriminator(config, rng)`, and what `GAN(config)` holds as `gan.G` and `gan.D`: it seeds one random
    generator with `config.seed = 0` and builds $G$, then $D$. Same layers, same random draws, hence the very same
    weights:
    """),
    code(r"""
    rng2 = np.random.default_rng(config.seed)
    G2, D2 = build_generator(config, rng2), build_discriminator(config, rng2)
    gan = GAN(config)

    for mine, theirs in [(G, G2), (D, D2), (G, gan.G), (D, gan.D)]:
        assert repr(mine) == repr(theirs)
        assert np.array_equal(mine.flat_params, theirs.flat_params)
    print("identical architectures and weights: ours, build_generator/build_discriminator, and GAN(config)")
    print(f"config: latent_dim={config.latent_dim}, g_hidden={config.g_hidden}, d_hidden={config.d_hidden}, "
          f"leaky_slope={config.leaky_slope}, init={config.init!r}")
    """),
    md(r"""
    ## 4. Counting parameters

    A `Dense(D_in, D_out)` layer has a $D_{in} \times D_{out}$ weight matrix and $D_{out}$ biases, so
    $(D_{in} + 1)\,D_{out}$ parameters; activations have none. For the generator

    $$
    (100 + 1) \cdot 256 + (256 + 1) \cdot 512 + (512 + 1) \cdot 784 = 25{,}856 + 131{,}584 + 402{,}192 = 559{,}632,
    $$

    and the discriminator is almost the same size. The count by formula agrees with the network's own,
    `net.num_params`, the length of its flat parameter buffer:
    """),
    code(r"""
    def count_by_formula(net):
        return sum((layer.in_features + 1) * layer.out_features for layer in net.layers if isinstance(layer, Dense))


    for name, net in [("G", G), ("D", D)]:
        print(f"{name}:\n{net.summary()}")
        print(f"    by formula: {count_by_formula(net):,}   float32: {net.flat_params.nbytes / 2**20:.1f} MiB\n")
        assert count_by_formula(net) == net.num_params

    post = CONFIGS["original_post"]  # the blog post's networks, for comparison (notebook 06)
    G_post, D_post = build_generator(post, np.random.default_rng(0)), build_discriminator(post, np.random.default_rng(0))
    print(f"original post: G {post.latent_dim}-{'-'.join(map(str, post.g_hidden))}-784 has {G_post.num_params:,} "
          f"parameters, D 784-{'-'.join(map(str, post.d_hidden))}-1 has {D_post.num_params:,}")
    """),
    md(r"""
    Half a million parameters each: about 2 MiB in float32, small enough that one training iteration is a handful of
    matrix products a laptop does in milliseconds. Note the original post's discriminator: ten times smaller than its
    own generator. We will see in notebook 06 what such a weak critic lets the generator get away with.
    """),
    md(r"""
    ## 5. Initialisation: why Glorot

    Consider one `Dense` layer, $\text{out}_j = \sum_{i=1}^{D_{in}} x_i W_{ij}$ (biases start at 0). If the weights are
    independent of the inputs and of each other, with mean 0 and variance $\operatorname{Var}(W)$, then

    $$
    \operatorname{Var}(\text{out}_j) = D_{in}\, \operatorname{Var}(W)\, \mathbb{E}[x_i^2].
    $$

    To keep the scale of the signal from layer to layer we need $D_{in} \operatorname{Var}(W) = 1$. The backward pass,
    $dx = \delta W^\top$, sums over $D_{out}$ terms instead and asks for $D_{out} \operatorname{Var}(W) = 1$. Glorot and
    Bengio (2010) compromise on

    $$
    \operatorname{Var}(W) = \frac{2}{D_{in} + D_{out}}, \qquad
    W \sim U(-a, a) \text{ with } \frac{a^2}{3} = \frac{2}{D_{in} + D_{out}}
    \;\Rightarrow\; a = \sqrt{\frac{6}{D_{in} + D_{out}}},
    $$

    since a uniform distribution on $(-a, a)$ has variance $a^2/3$. This is `ganlib`'s default (`init="glorot"`).
    The weights we just drew have exactly that spread:
    """),
    code(r"""
    for name, net in [("G", G), ("D", D)]:
        for layer in net.layers:
            if isinstance(layer, Dense):
                target = np.sqrt(2 / (layer.in_features + layer.out_features))
                std = layer.params["W"].std()
                print(f"{name} {layer!r:<20} std(W) = {std:.4f}   sqrt(2 / (D_in + D_out)) = {target:.4f}")
                assert abs(std / target - 1) < 0.05
    """),
    md(r"""
    Now follow a batch through the networks at initialisation and print the standard deviation of every layer's output.
    For comparison, the same networks with weights drawn from $N(0, 0.01^2)$, a "small random numbers" initialisation
    that looks harmless (`init=0.01`):
    """),
    code(r"""
    def activation_stds(net, x):
        # standard deviation of each layer's output, for the batch x
        stds = []
        for layer in net.layers:
            x = layer.forward(x)
            stds.append(float(x.std()))
        return stds


    z = np.random.default_rng(1).standard_normal((1000, 100)).astype(np.float32)  # z ~ N(0, I), (1000, 100)
    x_real = X[:1000]  # (1000, 784)
    small = config.replace(init=0.01)
    runs = {
        "G, Glorot": activation_stds(G, z),
        "G, N(0, 0.01²)": activation_stds(build_generator(small, np.random.default_rng(0)), z),
        "D, Glorot": activation_stds(D, x_real),
        "D, N(0, 0.01²)": activation_stds(build_discriminator(small, np.random.default_rng(0)), x_real),
    }
    fig, axes = plt.subplots(1, 2, figsize=(11, 3), layout="constrained")
    for ax, net, prefix in [(axes[0], G, "G"), (axes[1], D, "D")]:
        names = [repr(layer) for layer in net.layers]
        for label, stds in runs.items():
            if label.startswith(prefix):
                ax.plot(range(len(stds)), stds, "o-", label=label)
        ax.set_xticks(range(len(names)), names, rotation=25, ha="right", fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("std of the layer's output")
        ax.legend(fontsize=8)
    for label, stds in runs.items():
        print(f"{label:<16}", "  ".join(f"{s:.3g}" for s in stds))
    """),
    md(r"""
    With Glorot the signal keeps its order of magnitude through every layer: it shrinks a little at each LeakyReLU,
    which zeroes most of the negative half ($\mathbb{E}[f(u)^2] = \frac{1 + a^2}{2}\,\mathbb{E}[u^2]$ for a symmetric
    $u$, a factor 0.52 for $a = 0.2$; He et al., 2015, correct for it with $\operatorname{Var}(W) = 2 / D_{in}$, `init="he"`).
    With $N(0, 0.01^2)$ each layer multiplies the scale by about $0.01 \sqrt{D_{in}}$, between 0.1 and 0.3 here,
    and after three layers the signal, and with it every gradient, is orders of magnitude smaller: the networks would
    start out nearly dead.
    """),
    md(r"""
    ## 6. The untrained generator draws noise

    Each output pixel is a $\tanh$ of a random combination of 512 hidden units, so an untrained generator draws grey
    noise around 0, nothing like the mostly-black digits:
    """),
    code(r"""
    x_fake = G.forward(z[:64])  # (64, 784) in (-1, 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.6), layout="constrained")
    viz.show_grid(x_fake, ax=axes[0], title="G(z), untrained")
    viz.show_grid(X[:64], ax=axes[1], title="real images")
    print(f"pixel mean: fake {x_fake.mean():+.3f}, real {X[:64].mean():+.3f};   "
          f"pixel std: fake {x_fake.std():.3f}, real {X[:64].std():.3f}")
    assert x_fake.shape == (64, 784) and np.abs(x_fake).max() < 1
    """),
    md(r"""
    ## 7. The untrained discriminator says "50 %" to everything

    $D$ outputs $D(x) = \sigma(s)$ with $\sigma(s) = 1/(1 + e^{-s})$. The logit $s$ is a sum of many terms with random
    signs, and Glorot initialisation keeps its scale around 1 or below, so $s$ lands near 0, where the sigmoid is
    close to its midpoint: $\sigma(0) = 1/2$, and $\sigma(s) \approx \tfrac12 + \tfrac{s}{4}$ for small $s$. An untrained
    $D$ therefore gives every image, real or fake, a probability near $1/2$, and its loss is near the value of a
    coin flip,

    $$
    L_D = -\log D(x) - \log\big(1 - D(G(z))\big) \approx -\log\tfrac12 - \log\tfrac12 = 2 \log 2 \approx 1.386 .
    $$
    """),
    code(r"""
    logits_real = D.forward(X[:1000])  # (1000, 1)
    logits_fake = D.forward(G.forward(z))  # (1000, 1)
    for name, s in [("real x", logits_real), ("fake G(z)", logits_fake)]:
        p = sigmoid(s)
        print(f"{name:<10} logit s: mean {s.mean():+.3f}, std {s.std():.3f}   "
              f"D: mean {p.mean():.3f}, range {p.min():.3f}..{p.max():.3f}")
    loss_d, _, _ = discriminator_loss(logits_real, logits_fake)
    loss_g, _ = generator_loss(logits_fake, "non_saturating")
    print(f"L_D = {loss_d:.3f} (2 log 2 = {2 * np.log(2):.3f});  non-saturating L_G = {loss_g:.3f} (log 2 = {np.log(2):.3f})")
    assert abs(sigmoid(logits_real).mean() - 0.5) < 0.1 and abs(sigmoid(logits_fake).mean() - 0.5) < 0.1
    """),
    md(r"""
    Both averages are close to 0.5 (single images spread a little around it, as their logits do), and the losses
    are close to $2 \log 2$ and $\log 2$. Remember these numbers: they
    are also what a perfectly *trained* GAN would show, when $p_g = p_{data}$ and the best $D$ is $1/2$ everywhere
    (notebook 01). Loss values alone cannot tell "has not learned anything yet" from "has learned everything":
    in notebook 04 we watch the samples too.
    """),
    md(r"""
    ## 8. One forward and backward pass through $D(G(z))$

    The generator learns through the discriminator. For the (non-saturating) generator loss $L_G = -\frac1m \sum
    \log D(G(z))$, the gradient travels $L_G \to s \to x = G(z) \to$ the generator's weights:

    1. `generator_loss` returns $\partial L_G / \partial s = (\sigma(s) - 1)/m$, shape $(m, 1)$;
    2. `D.backward(..., need_param_grads=False)` turns it into $\partial L_G / \partial x$, shape $(m, 784)$: one gradient
       per pixel of each fake image, "which way should this pixel move to fool $D$". $D$ computes no gradients for its
       own parameters, which must not change in the generator's step;
    3. `G.backward(...)` turns that into gradients for all 559,632 parameters of $G$.
    """),
    code(r"""
    m = 64
    z_batch = np.random.default_rng(2).standard_normal((m, config.latent_dim)).astype(np.float32)
    D.flat_grads[...] = 0  # to show below that D's parameter gradients stay untouched

    x_fake = G.forward(z_batch)
    s = D.forward(x_fake)
    loss, dlogits = generator_loss(s, "non_saturating")
    dx_fake = D.backward(dlogits, need_param_grads=False)
    dz = G.backward(dx_fake)

    for name, a in [("z", z_batch), ("x = G(z)", x_fake), ("logits s = D(x)", s), ("dL/ds", dlogits),
                    ("dL/dx", dx_fake), ("dL/dz", dz), ("G's gradients (flat)", G.flat_grads)]:
        print(f"{name:<22} {str(a.shape):<12} {a.dtype}")
    print(f"L_G = {loss:.4f}; |dL/dθ_G| = {np.linalg.norm(G.flat_grads):.3g}; |dL/dθ_D| = {np.linalg.norm(D.flat_grads):.3g}")

    assert x_fake.shape == (m, 784) and s.shape == (m, 1) and dx_fake.shape == (m, 784) and dz.shape == (m, 100)
    assert G.flat_grads.shape == (G.num_params,) and np.any(G.flat_grads != 0)
    assert not np.any(D.flat_grads)  # D's parameter gradients were never computed
    """),
    md(r"""
    Every shape is what the algebra of notebook 02 predicts, the generator has a gradient for every parameter, and
    the discriminator's parameter gradients are still exactly zero. (The original post's framework updated the
    discriminator in the generator's step too; `ganlib` cannot, by construction.) In the next notebook an optimizer
    takes these gradients and the two networks start to play.
    """),
    md(r"""
    ## Summary

    - MNIST images are flattened to 784 values and scaled to $[-1, 1]$ (`to_tanh_range`), the range of the generator's
      $\tanh$; about 80 % of the pixels are exactly $-1$.
    - $G$ is 100-256-512-784 with LeakyReLU(0.2) and a $\tanh$ output; $D$ is 784-512-256-1 and outputs a logit.
      Built by hand they match `build_generator`/`build_discriminator` and `GAN(CONFIGS["default"])` weight for weight.
    - A `Dense` layer has $(D_{in} + 1) D_{out}$ parameters: 559,632 in $G$, 533,505 in $D$.
    - Glorot initialisation, $\operatorname{Var}(W) = 2/(D_{in} + D_{out})$, keeps activations at a steady scale;
      "small random numbers" shrink them layer after layer.
    - Untrained, $G$ draws grey noise and $D$ outputs about $1/2$ for everything, because its logits are near 0:
      the losses start near $2\log 2$ and $\log 2$, the same values as at the ideal equilibrium.
    - The generator's gradient flows through $D$ (input gradient only) into $G$.

    ## Exercises

    1. Build $G$ with `init="he"` (`config.replace(init="he")`) and redo the activation plot. Which layers change most?
       Why might the output layer's $\tanh$ be unhappy with larger pre-activations?
    2. Replace `LeakyReLU(0.2)` by `ReLU()` in $D$ and count, on the real batch, the fraction of hidden units that output
       exactly 0. What does that mean for the gradient reaching those units?
    3. Scale the images to $[0, 1]$ instead of $[-1, 1]$ and feed them and the untrained $G$'s samples to $D$. Could a
       discriminator tell them apart by the range alone? Train a logistic regression on the mean pixel value to find out.
    4. Time `D.forward` on a batch of 256 images for the default $D$ and for one with doubled widths
       (`config.replace(d_hidden=(1024, 512))`). Does the time grow like the parameter count?
    5. Repeat section 7 with the original post's configuration (`CONFIGS["original_post"]`). Is $D$ still near 1/2
       at initialisation?
    """),
]

if __name__ == "__main__":
    write_notebook("03-generator-and-discriminator.ipynb", cells)
