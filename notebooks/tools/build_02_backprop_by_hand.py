"""Generate notebooks/02-backprop-by-hand.ipynb (without outputs). Run: python notebooks/tools/build_02_backprop_by_hand.py"""

from nbbuild import code, md, write_notebook

cells = [
    md(r"""
    # 02 · Backpropagation by hand, checked numerically

    **What you will learn**

    - how to derive the backward pass of every layer a GAN needs: `Dense`, `LeakyReLU`, `Tanh`, `Sigmoid`, with shapes;
    - why the binary cross-entropy is computed from *logits*, in its softplus form, and why its gradient is simply $\sigma(s) - t$;
    - how to check any backward pass against centred finite differences, and what relative error to expect;
    - how such a check catches the bug of the original post (the sigmoid's derivative applied twice), and what that bug really trained;
    - how to check a whole network at once.

    **Run time:** a few seconds (nothing is trained here).
    """),
    code(r"""
    import numpy as np

    from ganlib import Dense, LeakyReLU, Sequential, Sigmoid, Tanh
    from ganlib.gradcheck import check_layer, check_loss, numerical_gradient, rel_error
    from ganlib.layers import sigmoid
    from ganlib.losses import bce_with_logits, generator_loss, softplus

    rng = np.random.default_rng(0)


    def report(errors, tol=1e-7):
        # print the relative error of each gradient (dL/dx, dL/dW, ...) and insist that all are tiny
        for name, err in errors.items():
            print(f"  dL/d{name:<4}  relative error {err:.1e}")
        assert max(errors.values()) < tol, errors
    """),
    md(r"""
    ## 1. The recipe

    A network is a chain of layers, $\text{out} = f(x; \theta)$, ending in a scalar loss $L$. Each layer gets from the
    layer above the **upstream gradient** $\delta = \partial L / \partial\,\text{out}$, which has the shape of its output, and must

    1. return $\partial L / \partial x$ (the shape of its input), to pass further down;
    2. store $\partial L / \partial \theta$ for each parameter (the shape of that parameter), for the optimizer.

    Both follow from the chain rule. The layer caches in `forward` whatever `backward` needs. Batches are row-major:
    $x$ has shape $(N, D)$, one example per row.

    **Checking.** For any scalar function $L(\theta)$ the centred difference

    $$
    \frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta + h e_i) - L(\theta - h e_i)}{2h}
    $$

    has error $O(h^2)$. We compare it with the backward pass through the relative error
    $\|a - b\| / (\|a\| + \|b\|)$. In float64 with $h = 10^{-6}$, a correct backward pass gives about $10^{-8}$ or
    less; a wrong one (a missing transpose, a forgotten factor) gives $10^{-2}$ or more. To check a layer whose output is
    a matrix, `check_layer` uses $L = \sum_{ij} \text{out}_{ij}\,\delta_{ij}$ with a fixed random $\delta$, so that
    $\partial L / \partial\,\text{out} = \delta$, exactly what `backward` receives. Everything below is in float64.
    """),
    md(r"""
    ## 2. Dense: $\text{out} = xW + b$

    Shapes: $x$ is $(N, D_{in})$, $W$ is $(D_{in}, D_{out})$, $b$ is $(D_{out},)$, $\text{out}$ and $\delta$ are $(N, D_{out})$.
    In indices, $\text{out}_{nj} = \sum_i x_{ni} W_{ij} + b_j$, so

    $$
    \frac{\partial L}{\partial x_{ni}} = \sum_j \delta_{nj} W_{ij}
    \;\Rightarrow\; \boxed{dx = \delta\, W^\top} \;(N, D_{in}),
    \qquad
    \frac{\partial L}{\partial W_{ij}} = \sum_n x_{ni}\,\delta_{nj}
    \;\Rightarrow\; \boxed{dW = x^\top \delta} \;(D_{in}, D_{out}),
    $$

    $$
    \frac{\partial L}{\partial b_j} = \sum_n \delta_{nj}
    \;\Rightarrow\; \boxed{db = \textstyle\sum_n \delta_n} \;(D_{out},).
    $$

    A useful memory aid: the shapes leave only one way to combine $\delta$ with $W$ or $x$. Note the sum over the batch
    in $dW$ and $db$: every example contributes to the same parameters.
    """),
    code(r"""
    layer = Dense(5, 3, rng=1, dtype=np.float64)
    x = rng.standard_normal((4, 5))  # (N, D_in) = (4, 5)
    out = layer.forward(x)  # (4, 3)
    delta = rng.standard_normal(out.shape)  # upstream gradient, same shape as out
    dx = layer.backward(delta)

    W = layer.params["W"]
    assert np.allclose(dx, delta @ W.T)  # (4, 3) @ (3, 5) -> (4, 5)
    assert np.allclose(layer.grads["W"], x.T @ delta)  # (5, 4) @ (4, 3) -> (5, 3)
    assert np.allclose(layer.grads["b"], delta.sum(axis=0))  # (3,)
    print("shapes: x", x.shape, "W", W.shape, "out", out.shape, "dx", dx.shape, "dW", layer.grads["W"].shape)
    """),
    md(r"""
    That only shows the code matches the formulas. Whether the formulas are *right* is what the numerical check says:
    """),
    code(r"""
    report(check_layer(Dense(5, 3, rng=1, dtype=np.float64), rng.standard_normal((4, 5))))
    """),
    md(r"""
    ## 3. Elementwise activations

    For $\text{out} = f(x)$ applied elementwise, $\text{out}_{nj}$ depends only on $x_{nj}$, so the Jacobian is diagonal and

    $$
    dx = \delta \odot f'(x) \qquad (\odot: \text{elementwise product; all shapes } (N, D)).
    $$

    **LeakyReLU** (Maas et al., 2013), with slope $a$ (0.2 in `ganlib`'s GANs):

    $$
    f(x) = \begin{cases} x & x > 0 \\ a x & x \le 0 \end{cases}, \qquad
    f'(x) = \begin{cases} 1 & x > 0 \\ a & x \le 0 \end{cases}.
    $$

    At $x = 0$ there is a kink and no derivative; we use $a$ there. A finite difference would straddle the kink only
    if some $|x_{nj}| < h = 10^{-6}$, which random inputs essentially never are.
    """),
    code(r"""
    report(check_layer(LeakyReLU(0.2), rng.standard_normal((4, 6))))
    """),
    md(r"""
    **Tanh**, the generator's output layer (images live in $[-1, 1]$). With $\tanh x = \dfrac{e^x - e^{-x}}{e^x + e^{-x}}$ the quotient rule gives

    $$
    \frac{d}{dx}\tanh x = \frac{(e^x + e^{-x})^2 - (e^x - e^{-x})^2}{(e^x + e^{-x})^2} = 1 - \tanh^2 x
    \quad\Rightarrow\quad dx = \delta \odot (1 - \text{out}^2).
    $$

    Writing the derivative with the cached *output* means `backward` recomputes nothing.
    """),
    code(r"""
    report(check_layer(Tanh(), rng.standard_normal((4, 6))))
    """),
    md(r"""
    **Sigmoid**, $\sigma(x) = 1/(1 + e^{-x})$, which turns the discriminator's logit into a probability:

    $$
    \sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2} = \frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}} = \sigma(x)\,\big(1 - \sigma(x)\big)
    \quad\Rightarrow\quad dx = \delta \odot \text{out} \odot (1 - \text{out}).
    $$
    """),
    code(r"""
    report(check_layer(Sigmoid(), rng.standard_normal((4, 6))))
    """),
    md(r"""
    ## 4. Binary cross-entropy, from logits

    The discriminator outputs a logit $s$ and $D = \sigma(s)$. With target $t$ (1 for real, 0 for fake) the loss is

    $$
    \ell(s, t) = -t \log \sigma(s) - (1 - t) \log\big(1 - \sigma(s)\big).
    $$

    Two identities turn it into something safe to compute. With $\operatorname{softplus}(u) = \log(1 + e^u)$:

    $$
    \log \sigma(s) = -\log(1 + e^{-s}) = -\operatorname{softplus}(-s), \qquad
    \log\big(1 - \sigma(s)\big) = \log \frac{e^{-s}}{1 + e^{-s}} = -\operatorname{softplus}(s),
    $$

    and $\operatorname{softplus}(-s) = \operatorname{softplus}(s) - s$. Hence

    $$
    \boxed{\ell(s, t) = \operatorname{softplus}(s) - t\,s}, \qquad
    \boxed{\frac{\partial \ell}{\partial s} = \sigma(s) - t},
    $$

    since $\frac{d}{ds}\operatorname{softplus}(s) = \frac{e^s}{1 + e^s} = \sigma(s)$. The sigmoid's derivative has cancelled
    against the logarithm's: no factor $\sigma(1 - \sigma)$ is left, so the gradient does not vanish when $D$ is confidently
    wrong. Softplus itself is evaluated as $\max(u, 0) + \log(1 + e^{-|u|})$, which never overflows. Over a batch,
    `ganlib.losses.bce_with_logits` returns the mean, so its gradient is $(\sigma(s) - t)/N$.

    **Why not compute $\sigma(s)$ first and take its log?** Because in floating point $\sigma(s)$ rounds to exactly 0 for
    very negative $s$ (in float32 below about $-104$) and to exactly 1 already for $s \gtrsim 17$. Then a log returns
    $-\infty$, the loss is infinite, and the backward pass (through $-1/\sigma$ times $\sigma(1-\sigma)$) produces NaN:
    """),
    code(r"""
    s = np.array([[-200.0], [-104.0], [-20.0], [0.0], [17.0], [40.0]], dtype=np.float32)  # logits (N, 1)
    p = sigmoid(s)  # probabilities, float32

    with np.errstate(divide="ignore", invalid="ignore"):
        naive_t1 = -np.log(p)  # target 1: -log D
        naive_t0 = -np.log(1 - p)  # target 0: -log(1 - D)
        naive_grad_t1 = (-1 / p) * p * (1 - p)  # chain rule through the probability

    print("   logit   D (float32) |  t = 1: -log D, naive   from logits |  t = 0: -log(1 - D), naive   from logits")
    for i in range(len(s)):
        ours_t1, _ = bce_with_logits(s[i:i + 1], 1.0)
        ours_t0, _ = bce_with_logits(s[i:i + 1], 0.0)
        print(f"{s[i, 0]:8.1f}   {p[i, 0]:9.4g} | {naive_t1[i, 0] + 0:21.4g}   {ours_t1:11.4g} | "
              f"{naive_t0[i, 0] + 0:26.4g}   {ours_t0:11.4g}")
    print("naive d(-log D)/ds at s = -200 through the probability:", naive_grad_t1[0, 0], "(exact: about -1)")

    assert np.isinf(naive_t1[0, 0]) and np.isinf(naive_t0[-1, 0]) and np.isnan(naive_grad_t1[0, 0])
    assert np.isclose(bce_with_logits(s[:1], 1.0)[0], 200.0) and np.isclose(bce_with_logits(s[-1:], 0.0)[0], 40.0)
    """),
    md(r"""
    Logits like $-200$ are not exotic: a discriminator that has just learned to spot the generator's early scribbles
    produces them. From logits every loss is finite and every gradient exact.

    Now the numerical check of $\partial \ell / \partial s = \sigma(s) - t$ for several targets, including one-sided label
    smoothing ($t = 0.9$) and a per-example target array, and of both generator losses from notebook 01:
    """),
    code(r"""
    logits = 3 * rng.standard_normal((8, 1))  # (N, 1), float64
    targets = rng.integers(0, 2, size=(8, 1)).astype(np.float64)
    errors = {
        "BCE, t = 1": check_loss(lambda s: bce_with_logits(s, 1.0), logits),
        "BCE, t = 0": check_loss(lambda s: bce_with_logits(s, 0.0), logits),
        "BCE, t = 0.9": check_loss(lambda s: bce_with_logits(s, 0.9), logits),
        "BCE, t per example": check_loss(lambda s: bce_with_logits(s, targets), logits),
        "G loss, non-saturating": check_loss(lambda s: generator_loss(s, "non_saturating"), logits),
        "G loss, minimax": check_loss(lambda s: generator_loss(s, "minimax"), logits),
    }
    for name, err in errors.items():
        print(f"{name:<24} relative error {err:.1e}")
    assert max(errors.values()) < 1e-7
    """),
    md(r"""
    ## 5. The classic bug: the sigmoid's derivative, twice

    The framework of the original blog post had a sigmoid output layer and a cross-entropy loss. Its loss handed back
    $\sigma(s) - t$, which is already the gradient with respect to the *logit* $s$ (the sigmoid's derivative is folded in,
    as derived above), and then the sigmoid layer's backward multiplied by $\sigma(s)(1 - \sigma(s))$ once more.
    Each piece looks reasonable on its own; the product is wrong. Here is the effect, packed into a `Sigmoid` whose
    backward applies the derivative a second time:
    """),
    code(r"""
    class DoubleSigmoid(Sigmoid):
        # BUG on purpose: multiplies by the sigmoid's derivative again
        def backward(self, dout, *, need_dx=True, need_param_grads=True):
            out = self._cached()
            return super().backward(dout) * out * (1 - out)


    errors = check_layer(DoubleSigmoid(), rng.standard_normal((4, 6)))
    print(f"relative error of the buggy backward: {errors['x']:.2f}")
    assert errors["x"] > 1e-2  # not 1e-8: the check flags it at once
    """),
    md(r"""
    A relative error of order 1 instead of $10^{-8}$: the check cannot miss it. Without the check, nothing crashes.
    Training just silently follows a different gradient, scaled down per example by $\sigma(1 - \sigma) \le 1/4$ and
    almost zero where the discriminator is confident. Which loss *does* that gradient belong to? Since

    $$
    \frac{\partial}{\partial s}\, \tfrac12 \big(\sigma(s) - t\big)^2 = \big(\sigma(s) - t\big)\,\sigma(s)\big(1 - \sigma(s)\big),
    $$

    it is the gradient of the squared error on probabilities. The post printed a cross-entropy, but trained a
    least-squares loss on $D$'s probabilities. The gradient check confirms it:
    """),
    code(r"""
    def buggy_bce(s, t=1.0):
        # cross-entropy value, but its gradient pushed through the sigmoid's derivative a second time
        loss, dlogits = bce_with_logits(s, t)
        p = sigmoid(s)
        return loss, dlogits * p * (1 - p)


    def half_squared_error(s, t=1.0):
        p = sigmoid(s)
        return float(np.mean(0.5 * (p - t) ** 2)), buggy_bce(s, t)[1]  # its value, with the buggy gradient


    print(f"buggy gradient vs cross-entropy:   relative error {check_loss(buggy_bce, logits):.1e}")
    print(f"buggy gradient vs 1/2 (D - t)^2:   relative error {check_loss(half_squared_error, logits):.1e}")
    assert check_loss(buggy_bce, logits) > 1e-2 and check_loss(half_squared_error, logits) < 1e-7
    """),
    md(r"""
    ## 6. A whole network at once

    Backpropagation through a `Sequential` is the layers' backward passes in reverse order, each feeding its $dx$ to the
    layer below as that layer's $\delta$. `check_layer` accepts a whole network and checks $dL/dx$ and every parameter.
    Here is a small discriminator-shaped MLP:
    """),
    code(r"""
    net = Sequential(
        Dense(6, 16, rng=1, dtype=np.float64), LeakyReLU(0.2),
        Dense(16, 16, rng=2, dtype=np.float64), Tanh(),
        Dense(16, 1, rng=3, dtype=np.float64),
    )
    print(net.summary())
    report(check_layer(net, rng.standard_normal((5, 6))))
    """),
    md(r"""
    Finally, end to end with the loss: all of `net`'s parameters live in one flat buffer, `net.flat_params`, and their
    gradients in `net.flat_grads`. So one call to `numerical_gradient` can perturb every parameter of the network in turn
    and compare $\partial L / \partial \theta$ for $L = \frac1N \sum_n \ell(\text{net}(x_n), t_n)$ with what backpropagation returns:
    """),
    code(r"""
    x = rng.standard_normal((5, 6))
    t = rng.integers(0, 2, size=(5, 1)).astype(np.float64)


    def loss():
        return bce_with_logits(net.forward(x), t)[0]


    numeric = numerical_gradient(loss, net.flat_params)  # perturbs each of the 401 parameters, both ways
    _, dlogits = bce_with_logits(net.forward(x), t)
    net.backward(dlogits)  # fills net.flat_grads
    err = rel_error(net.flat_grads, numeric)
    print(f"{net.num_params} parameters, relative error {err:.1e}")
    assert err < 1e-7
    """),
    md(r"""
    ## Summary

    - Every layer's backward pass follows from the chain rule with the upstream gradient $\delta = \partial L / \partial\,\text{out}$:
      Dense $dx = \delta W^\top$, $dW = x^\top\delta$, $db = \sum_n \delta_n$; elementwise layers $dx = \delta \odot f'(x)$ with
      $f' = 1$ or $a$ (LeakyReLU), $1 - \text{out}^2$ (tanh), $\text{out}(1 - \text{out})$ (sigmoid).
    - The binary cross-entropy from logits is $\operatorname{softplus}(s) - ts$ with gradient $\sigma(s) - t$. Going through
      probabilities instead overflows to $\infty$ and NaN for logits a discriminator easily reaches.
    - Centred finite differences in float64 check any backward pass: about $10^{-8}$ when right, $10^{-2}$ or worse when wrong.
    - Applying the sigmoid's derivative twice, the original post's bug, is caught at once; that gradient belongs to the
      squared error $\tfrac12(D - t)^2$, not to the cross-entropy that was printed.
    - The same check works on a whole network, through its flat parameter buffer.

    Next, we assemble these layers into a generator and a discriminator for MNIST.

    ## Exercises

    1. Break `Dense` on purpose: in a subclass, return `dout @ W` (no transpose; make the layer square so the shapes still
       fit) or forget the batch sum in `db`. How large are the relative errors?
    2. Rerun a gradient check with $h = 10^{-2}, 10^{-4}, 10^{-8}, 10^{-10}$. Why does the error first fall and then rise
       again? (Hint: truncation error $O(h^2)$ against rounding error $O(\varepsilon / h)$.)
    3. Write a `Softplus` layer (forward $\log(1 + e^x)$, backward $\delta \odot \sigma(x)$) and check it, including for
       inputs of $\pm 50$.
    4. Check the generator's gradient *through* a frozen discriminator: build `G` and `D` as `Sequential`s, compute
       $L_G$ = `generator_loss(D.forward(G.forward(z)))`, backpropagate with `D.backward(dlogits, need_param_grads=False)`
       then `G.backward(...)`, and compare `G.flat_grads` with `numerical_gradient`.
    5. Find the smallest logit $s > 0$ for which `sigmoid(s)` rounds to exactly 1, and the largest $s < 0$ for which it
       rounds to 0, in float32 and in float64. For which target does the naive cross-entropy break first, and why is the
       asymmetry between the two ends?
    """),
]

if __name__ == "__main__":
    write_notebook("02-backprop-by-hand.ipynb", cells)
