"""Notebook 03's checks (ganlib.exercises.networks) accept other right answers than the reference's."""

from exercise_cases.networks import d_together

from ganlib.exercises.networks import check_count_parameters, check_discriminator_loss_and_gradients


def test_both_batches_as_one_is_right_too(capsys):
    """Real and fake rows through D as one batch, as GAN.discriminator_step does, returning D.flat_grads itself."""
    check_discriminator_loss_and_gradients(d_together)
    assert "correct" in capsys.readouterr().out


def test_a_count_may_be_a_numpy_integer_or_a_whole_float(capsys):
    def numpy_count(widths):
        import numpy as np

        w = np.array(widths)
        return np.sum((w[:-1] + 1) * w[1:])

    check_count_parameters(numpy_count)
    check_count_parameters(lambda w: float(sum((a + 1) * b for a, b in zip(w[:-1], w[1:]))))
    assert capsys.readouterr().out.count("correct") == 2
