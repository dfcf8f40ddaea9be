"""Generate notebooks/01-the-objective.ipynb (without outputs). Run: python notebooks/tools/build_01_the_objective.py"""

from nbbuild import code, md, write_notebook

cells = [
    md(r"""
    # 01 · The objective: a game between two networks

    **What you will learn**

    - who the two players of a GAN are, and the value function $V(D, G)$ they fight over;
    - why the best discriminator is $D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$, and why the generator then minimises a Jensen–Shannon divergence;
    - how to check both results numerically, on two Gaussians;
    - why generators are trained with the *non-saturating* loss $-\log D(G(z))$ rather than the one in the value function;
    - how a tiny GAN built with `ganlib` learns a 1-D distribution, and how its discriminator goes flat at $1/2$.

    **Run time:** about 30 s on a laptop CPU (a few seconds with `GANLIB_FAST=1`).
    """),
    code(r"""
    import os

    import matplotlib.pyplot as plt
    import numpy as np

    from ganlib import viz
    from ganlib.gan import CONFIGS, GAN
    from ganlib.layers import sigmoid
    from ganlib.losses import generator_loss, softplus

    FAST = os.environ.get("GANLIB_FAST") == "1"  # set by the test suite: shrink training
    rng = np.random.default_rng(0)
    """),
    md(r"""
    ## 1. Two players

    A GAN (Goodfellow et al., 2014) pits two networks against each other:

    - the **generator** $G$ turns noise $z \sim p_z$ (here a standard normal vector) into a sample $G(z)$.
      The distribution of its samples is called $p_g$; nobody writes $p_g$ down, we can only draw from it;
    - the **discriminator** $D$ takes a sample $x$ and outputs a probability $D(x) \in (0, 1)$ that $x$ came
      from the data rather than from $G$.

    Think of a counterfeiter and a detective. The detective learns from examples of real and forged banknotes;
    the counterfeiter never sees a real banknote, only the detective's verdict on his forgeries, and improves
    until the detective can do no better than a coin flip.
    """),
    md(r"""
    ## 2. The value function

    Both players share one number, the **value function**

    $$
    V(D, G) = \mathbb{E}_{x \sim p_{data}}\big[\log D(x)\big] + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big],
    \qquad
    \min_G \max_D V(D, G).
    $$

    - **$D$ maximises $V$.** $V$ is the log-likelihood of a classifier that labels real samples 1 and fakes 0,
      i.e. minus the binary cross-entropy. Both terms are $\le 0$; $V = 0$ would be a perfect detective.
    - **$G$ minimises $V$.** $G$ appears only in the second term, and pushes it down by making $D(G(z))$ large:
      by fooling $D$.

    Since $x = G(z)$ with $z \sim p_z$ is exactly a sample of $p_g$, the second expectation can be taken over $p_g$:

    $$
    V(D, G) = \int \Big( p_{data}(x) \log D(x) + p_g(x) \log\big(1 - D(x)\big) \Big)\, dx .
    $$

    In `ganlib` the discriminator minimises $L_D = -V$, estimated on a minibatch (`ganlib.losses.discriminator_loss`).
    """),
    md(r"""
    ## 3. The optimal discriminator

    Fix $G$ and let $D$ be *any* function. The integral above is maximised by maximising the integrand at every $x$
    separately. At one point $x$ write $a = p_{data}(x)$, $b = p_g(x)$ and $y = D(x)$; we maximise

    $$
    f(y) = a \log y + b \log(1 - y), \qquad y \in (0, 1).
    $$

    Setting the derivative to zero,

    $$
    f'(y) = \frac{a}{y} - \frac{b}{1 - y} = 0
    \quad\Longleftrightarrow\quad a(1 - y) = b\,y
    \quad\Longleftrightarrow\quad y = \frac{a}{a + b},
    $$

    and $f''(y) = -a/y^2 - b/(1-y)^2 < 0$, so this is the maximum. Hence

    $$
    \boxed{D^*_G(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}}
    $$

    $D^*$ is above $1/2$ where the data is denser than the generator (the generator should move mass there), below $1/2$
    where the generator over-produces, and exactly $1/2$ everywhere when $p_g = p_{data}$.
    """),
    md(r"""
    ## 4. What the generator minimises: a Jensen–Shannon divergence

    Put $D^*$ back into $V$. The generator faces

    $$
    C(G) = \max_D V(D, G) = \mathbb{E}_{x \sim p_{data}}\left[\log \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}\right]
         + \mathbb{E}_{x \sim p_g}\left[\log \frac{p_g(x)}{p_{data}(x) + p_g(x)}\right].
    $$

    Let $m = \tfrac12 (p_{data} + p_g)$, the mixture. Then $\dfrac{p_{data}}{p_{data} + p_g} = \dfrac{p_{data}}{2m}$, so each
    logarithm is $\log \frac{p_{data}}{m} - \log 2$ (and likewise for $p_g$):

    $$
    C(G) = \mathrm{KL}(p_{data} \,\|\, m) + \mathrm{KL}(p_g \,\|\, m) - 2\log 2
         = -\log 4 + 2\,\mathrm{JSD}(p_{data} \,\|\, p_g),
    $$

    with the Jensen–Shannon divergence $\mathrm{JSD}(p \,\|\, q) = \tfrac12 \mathrm{KL}(p \,\|\, m) + \tfrac12 \mathrm{KL}(q \,\|\, m)$.
    Since $\mathrm{JSD} \ge 0$ with equality only when $p = q$, **the global minimum of $C(G)$ is $-\log 4$, reached exactly
    when $p_g = p_{data}$** (Theorem 1 of the paper).

    This assumes that $D$ is optimal for the current $G$. In practice $D$ is a network that takes a few gradient steps
    between generator steps, so training only approximates this picture.
    """),
    md(r"""
    ## 5. A numerical check on two Gaussians

    Let $p_{data} = \mathcal{N}(4, 1.25^2)$ and $p_g = \mathcal{N}(0, 1)$. On a fine grid the integrals become sums.
    We check that $D^*$ beats other discriminators, and that $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}$.
    """),
    code(r"""
    x = np.linspace(-12.0, 16.0, 40_001)  # integration grid; both densities are negligible outside
    dx = x[1] - x[0]


    def log_gaussian_pdf(x, mean, std):
        return -0.5 * ((x - mean) / std) ** 2 - np.log(std * np.sqrt(2 * np.pi))


    def gaussian_pdf(x, mean, std):
        return np.exp(log_gaussian_pdf(x, mean, std))


    def integrate(values):
        return float(np.sum(values) * dx)


    def value(logit, p_data, p_g):
        # V(D, G) = integral of p_data log D + p_g log(1 - D), for D = sigmoid(logit), written with
        # log sigmoid(s) = -softplus(-s) and log(1 - sigmoid(s)) = -softplus(s): finite even where D rounds to 0 or 1
        return integrate(-p_data * softplus(-logit) - p_g * softplus(logit))


    def kl(p, q):
        return integrate(p * np.log(p / q))


    p_data = gaussian_pdf(x, 4.0, 1.25)
    p_g = gaussian_pdf(x, 0.0, 1.0)
    logit_star = log_gaussian_pdf(x, 4.0, 1.25) - log_gaussian_pdf(x, 0.0, 1.0)  # log p_data - log p_g
    D_star = sigmoid(logit_star)  # = p_data / (p_data + p_g)
    print(f"integral of p_data = {integrate(p_data):.8f}, of p_g = {integrate(p_g):.8f}")
    """),
    md(r"""
    We work with the discriminator's *logit* $s(x)$, $D(x) = \sigma(s(x))$: far in the right tail $D^*$ rounds to exactly
    1.0 and $\log(1 - D^*)$ would be $-\infty$, while $\log(1 - \sigma(s)) = -\operatorname{softplus}(s)$ stays finite
    (notebook 02 comes back to this). For $D^*$ the logit is simply $\log p_{data}(x) - \log p_g(x)$.

    Is $D^*$ really the best? Perturb its logit at random and compare, and try the clueless discriminator
    $D \equiv 1/2$ (logit 0), whose value is $\log\frac12 + \log\frac12 = -\log 4$.
    """),
    code(r"""
    V_star = value(logit_star, p_data, p_g)
    print(f"V(D*, G)           = {V_star:.6f}")
    print(f"V(1/2, G)          = {value(np.zeros_like(x), p_data, p_g):.6f}   (-log 4 = {-np.log(4):.6f})")
    for eps in (0.01, 0.1, 1.0):
        noise = np.cumsum(rng.standard_normal(x.shape)) * np.sqrt(dx)  # a random, continuous function of x
        V_other = value(logit_star + eps * noise, p_data, p_g)
        print(f"perturbed by {eps:<4}:  {V_other:.6f}")
        assert V_other < V_star
    """),
    code(r"""
    m = 0.5 * (p_data + p_g)
    jsd = 0.5 * kl(p_data, m) + 0.5 * kl(p_g, m)
    print(f"JSD(p_data || p_g)        = {jsd:.8f}   (at most log 2 = {np.log(2):.8f})")
    print(f"-log 4 + 2 JSD            = {-np.log(4) + 2 * jsd:.8f}")
    print(f"V(D*, G)                  = {V_star:.8f}")
    assert abs(V_star - (-np.log(4) + 2 * jsd)) < 1e-9
    """),
    code(r"""
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(x, p_data, label=r"$p_{data} = \mathcal{N}(4, 1.25^2)$")
    ax.plot(x, p_g, label=r"$p_g = \mathcal{N}(0, 1)$")
    ax.set_xlim(-4, 10)
    ax.set_ylabel("density")
    ax2 = ax.twinx()
    ax2.plot(x, D_star, color="C3", label=r"$D^*(x)$")
    ax2.axhline(0.5, color="C3", ls=":", lw=1)
    ax2.set_ylabel(r"$D^*(x)$", color="C3")
    ax2.set_ylim(0, 1)
    fig.legend(loc="upper left", bbox_to_anchor=(0.1, 0.88), fontsize=8)
    ax.set_title("the optimal discriminator: 1 where only data lives, 0 where only fakes do", fontsize=10);
    """),
    md(r"""
    Now move the generator: $p_g = \mathcal{N}(\mu_g, 1.25^2)$ for a range of means. $C(G)$ reaches $-\log 4$ exactly at
    $\mu_g = 4$. Far away it flattens out at $0$ (there $\mathrm{JSD} \to \log 2$): when the two distributions barely overlap,
    $C$ hardly changes as $G$ moves. That flat region is one reason why GAN training can stall, and why the
    generator's loss is changed in practice (next section).
    """),
    code(r"""
    mus = np.linspace(-6, 14, 81)
    C = []
    for mu in mus:
        q = gaussian_pdf(x, mu, 1.25)
        C.append(value(log_gaussian_pdf(x, 4.0, 1.25) - log_gaussian_pdf(x, mu, 1.25), p_data, q))  # V(D*, G)
    C = np.array(C)
    assert np.isclose(C.min(), -np.log(4), atol=1e-6) and np.isclose(mus[C.argmin()], 4.0)

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(mus, C, label=r"$C(G) = -\log 4 + 2\,\mathrm{JSD}$")
    ax.axhline(-np.log(4), color="k", ls="--", lw=1, label=r"$-\log 4$")
    ax.axvline(4.0, color="C0", ls=":", lw=1)
    ax.set_xlabel(r"generator mean $\mu_g$ (data mean 4)")
    ax.legend(fontsize=8);
    """),
    md(r"""
    ## 6. Saturating and non-saturating generator losses

    Let $s$ be the discriminator's logit for a fake sample, so $D(G(z)) = \sigma(s)$ with the sigmoid $\sigma$. The generator's
    term of the value function is the **minimax** (or *saturating*) loss

    $$
    L_G^{\text{minimax}} = \log\big(1 - \sigma(s)\big), \qquad \frac{\partial L_G^{\text{minimax}}}{\partial s} = -\sigma(s) = -D(G(z)).
    $$

    Early in training the fakes are bad, $D$ rejects them confidently, $D(G(z)) \approx 0$, and the gradient vanishes:
    the generator learns nothing exactly when it has the most to learn. Goodfellow et al. therefore train $G$ to
    maximise $\log D(G(z))$ instead, the **non-saturating** loss

    $$
    L_G^{\text{non-sat}} = -\log \sigma(s), \qquad \frac{\partial L_G^{\text{non-sat}}}{\partial s} = \sigma(s) - 1 = -\big(1 - D(G(z))\big),
    $$

    whose gradient is largest when $D(G(z)) \approx 0$. Both push $D(G(z))$ up and have the same fixed point; only the
    weighting differs. Every gradient the generator receives is $\partial L/\partial s$ times $\partial s/\partial\theta_G$, so this
    factor scales the whole update. Let us read both gradients off `ganlib.losses.generator_loss`, which returns the
    gradient of the *mean* loss over a batch, $\frac1N$ times the per-example gradient:
    """),
    code(r"""
    d_fake = np.linspace(0.001, 0.999, 999)  # D(G(z)) on (0, 1)
    logits = np.log(d_fake / (1 - d_fake)).reshape(-1, 1)  # s = logit(D), shape (N, 1)
    n = len(logits)

    loss_mm, grad_mm = generator_loss(logits, "minimax")
    loss_ns, grad_ns = generator_loss(logits, "non_saturating")
    grad_mm, grad_ns = n * grad_mm.ravel(), n * grad_ns.ravel()  # per-example dL/ds

    assert np.allclose(grad_mm, -d_fake) and np.allclose(grad_ns, d_fake - 1)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
    ax1.plot(d_fake, np.log1p(-d_fake), label=r"minimax $\log(1 - D)$")
    ax1.plot(d_fake, -np.log(d_fake), label=r"non-saturating $-\log D$")
    ax1.set_xlabel(r"$D(G(z))$")
    ax1.set_title("generator loss per example")
    ax1.legend(fontsize=8)
    ax2.plot(d_fake, grad_mm, label=r"minimax: $-D$")
    ax2.plot(d_fake, grad_ns, label=r"non-saturating: $-(1 - D)$")
    ax2.axvspan(0, 0.1, color="0.9", label="early training: $D$ rejects fakes")
    ax2.set_xlabel(r"$D(G(z))$")
    ax2.set_title(r"gradient w.r.t. the logit, $\partial L / \partial s$")
    ax2.legend(fontsize=8);
    """),
    md(r"""
    At $D(G(z)) = 0.01$ the minimax gradient is $-0.01$, the non-saturating one $-0.99$: a hundred times more signal.
    `ganlib` uses the non-saturating loss by default (`GANConfig.generator_loss`); the original post's framework used
    the minimax one.

    ## 7. A GAN in one dimension

    Time to train. The data are $N = 10\,240$ draws from $\mathcal{N}(4, 1.25^2)$, as float32 of shape $(N, 1)$.
    Both networks are small multilayer perceptrons with LeakyReLU:
    $G: \mathbb{R}^4 \to 32 \to 32 \to \mathbb{R}$ with a *linear* output (the data are not confined to $[-1, 1]$, so no tanh),
    and $D: \mathbb{R} \to 32 \to 32 \to$ one logit. Both use Adam. The discriminator's learning rate is 8 times the
    generator's, so that $D$ stays close to its optimum $D^*$ for the current $G$, as the theory above assumes.
    """),
    code(r"""
    n_data = 2_560 if FAST else 10_240
    X = rng.normal(4.0, 1.25, size=(n_data, 1)).astype(np.float32)  # (N, 1) float32

    config = CONFIGS["default"].replace(
        data_dim=1, g_output="linear", latent_dim=4, g_hidden=(32, 32), d_hidden=(32, 32),
        batch_size=128, lr_g=2.5e-4, lr_d=2e-3, epochs=4 if FAST else 40,
    )
    gan = GAN(config)
    print(gan.G.summary())
    print(gan.D.summary())
    """),
    md(r"""
    A helper evaluates the discriminator on a grid: `gan.D.forward` returns logits of shape $(M, 1)$ and $D(x) = \sigma(\text{logit})$.
    We also estimate $D^*$ for the current generator, with $p_g$ smoothed from samples (a Gaussian kernel density estimate),
    so we can see how close the trained $D$ is to the optimal one. $D^*$ is only drawn where one of the densities is
    not negligible.
    """),
    code(r"""
    x_grid = np.linspace(-2.0, 10.0, 241, dtype=np.float32)
    data_pdf = lambda t: gaussian_pdf(t, 4.0, 1.25)  # noqa: E731


    def d_of_x(gan):
        return sigmoid(gan.D.forward(x_grid[:, None])).ravel()  # logits (M, 1) -> D(x), shape (M,)


    def d_star_estimate(samples, bandwidth=0.25):
        p_g_hat = gaussian_pdf(x_grid[:, None], samples.ravel()[None, :].astype(np.float64), bandwidth).mean(axis=1)
        p = data_pdf(x_grid)
        d = p / (p + p_g_hat)
        return np.where(p + p_g_hat > 0.02, d, np.nan)


    def show_state(gan, title, ax=None):
        samples = gan.sample(5000, rng=1)  # the same latents every time
        return viz.plot_1d_gan(X, samples, x_grid, d_of_x(gan), data_pdf=data_pdf, d_optimal=d_star_estimate(samples),
                               xlim=(-2, 10), title=f"{title}: mean {samples.mean():.2f}, std {samples.std():.2f}", ax=ax)


    show_state(gan, "before training");
    """),
    md(r"""
    Before training, $G$ squeezes everything near 0 and $D$ is a random function. To follow the distribution during
    training, a callback records the mean and standard deviation of $G$'s samples every 20 iterations
    (`gan.train(..., callback=f, callback_every=20)` calls `f(gan)`). We train for two epochs first, look, then go on.
    """),
    code(r"""
    track = {"iteration": [], "mean": [], "std": []}


    def record(gan):
        s = gan.sample(2000, rng=1)
        track["iteration"].append(gan.iteration)
        track["mean"].append(float(s.mean()))
        track["std"].append(float(s.std()))


    fig, axes = plt.subplots(1, 2, figsize=(13, 3.4), layout="constrained")
    gan.train(X, epochs=2, callback=record, callback_every=20, progress=False)
    show_state(gan, f"after {gan.iteration} iterations", ax=axes[0])
    history = gan.train(X, epochs=config.epochs - 2, callback=record, callback_every=20, progress=False)
    show_state(gan, f"after {gan.iteration} iterations", ax=axes[1]);
    """),
    md(r"""
    $G$ started as a narrow spike at 0. After two epochs (left, 160 iterations) it is moving towards the data, and $D$ (solid red)
    follows the optimal $D^*$ (dashed) where the samples are: high where data outnumber fakes, low where fakes
    outnumber data. At the end (right) the two histograms overlap and $D(x) \approx 1/2$ wherever there are samples: the
    detective is reduced to a coin flip, just as $D^* = p_{data}/(p_{data} + p_g) = 1/2$ predicts for $p_g = p_{data}$.
    Far from all samples $D$ is never trained, so its value there means nothing; the dashed $D^*$, estimated from
    samples, is noisy in the tails, where both densities are tiny.

    The losses tell the same story. At the equilibrium $D \equiv 1/2$, the discriminator's loss is $-2\log\frac12 = 2\log 2 \approx 1.386$
    and the non-saturating generator loss is $\log 2 \approx 0.693$:
    """),
    code(r"""
    viz.plot_losses(history, smooth=50);
    """),
    code(r"""
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(track["iteration"], track["mean"], label="mean of G's samples")
    ax.plot(track["iteration"], track["std"], label="std of G's samples")
    ax.axhline(4.0, color="C0", ls=":", lw=1)
    ax.axhline(1.25, color="C1", ls=":", lw=1)
    ax.set_xlabel("iteration")
    ax.set_title("the generator's distribution during training (dotted: the data's 4 and 1.25)", fontsize=10)
    ax.legend(fontsize=8);

    samples = gan.sample(20_000, rng=2)
    print(f"data      mean {X.mean():.3f}  std {X.std():.3f}   (true: 4 and 1.25)")
    print(f"generator mean {samples.mean():.3f}  std {samples.std():.3f}")
    if not FAST:
        assert abs(samples.mean() - 4.0) < 0.3 and abs(samples.std() - 1.25) < 0.3
    """),
    md(r"""
    The mean is learned within a few hundred iterations; the spread takes longer and keeps wobbling a little around
    $1.25$. A GAN does not converge to a point like a classifier does: the two players keep reacting to each other,
    and near the equilibrium $D$'s gradients become small and noisy.

    ## Summary

    - A GAN is a two-player game with value function $V(D, G) = \mathbb{E}_{p_{data}}[\log D(x)] + \mathbb{E}_{p_z}[\log(1 - D(G(z)))]$;
      $D$ maximises it (it is a classifier's log-likelihood), $G$ minimises it.
    - For a fixed $G$ the best discriminator is $D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$, from maximising $a\log y + b\log(1-y)$ pointwise.
    - Against $D^*$ the generator minimises $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{data} \,\|\, p_g)$, minimal exactly at $p_g = p_{data}$,
      where $D^* \equiv 1/2$; we checked both identities numerically.
    - The minimax generator loss $\log(1 - D(G(z)))$ has gradient $-D(G(z))$ w.r.t. the logit, which vanishes when $D$ wins;
      the non-saturating loss $-\log D(G(z))$ has gradient $-(1 - D(G(z)))$ and is used in practice.
    - A small `ganlib` GAN learns $\mathcal{N}(4, 1.25^2)$ in seconds; at the end $D(x) \approx 1/2$ and the losses sit at $2\log 2$ and $\log 2$.

    Next, we derive by hand the gradients that made this training possible, and check each one numerically.

    ## Exercises

    1. Train the 1-D GAN with `generator_loss="minimax"`. Then make the discriminator stronger (`k=5`, or `lr_d=1e-2`)
       and compare: when does the minimax loss stall, and why?
    2. Replace the data with a mixture, half $\mathcal{N}(-2, 0.5^2)$ and half $\mathcal{N}(3, 0.5^2)$. Does the generator cover both
       modes? What does it put between them, and why is that hard to avoid for a continuous $G$ fed with a unimodal $z$?
    3. Suppose $p_{data}$ and $p_g$ have disjoint supports. What are $D^*$, $\mathrm{JSD}$ and $C(G)$? What does that imply for
       the generator's gradient (compare with the flat ends of the $C(G)$ curve in section 5)?
    4. Set `lr_g = lr_d = 2e-3` and track the standard deviation again. What changes, and why might a faster discriminator help?
    5. Show that $\mathrm{JSD}(p \,\|\, q) \le \log 2$, and check it with the grid code for two Gaussians far apart.
    """),
]

if __name__ == "__main__":
    write_notebook("01-the-objective.ipynb", cells)
