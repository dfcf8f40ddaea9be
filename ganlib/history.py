"""What a training run records, and how it ends other than by finishing.

:class:`History` holds the per-iteration losses and D's outputs and the snapshots of the
fixed latent batch; :class:`TrainingDiverged` is raised when a loss stops being a number;
a callback raises :class:`StopTraining` to stop at a safe point (:meth:`ganlib.gan.GAN.train`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["History", "StopTraining", "TrainingDiverged"]


@dataclass
class History:
    """Per-iteration records of a run (lists grow as training goes on).

    ``loss_d``, ``loss_g``: the two losses; ``d_real``, ``d_fake``: mean D(x) and
    D(G(z)) over the discriminator's last minibatch. ``snapshots``: G's output
    for the fixed latent batch at ``snapshot_iterations``, as float16
    (n_fixed, data_dim) each: half the memory, plenty for display.
    ``interrupted``: the last ``train`` stopped before its last epoch (Ctrl-C, or a callback).
    """

    loss_d: list = field(default_factory=list)
    loss_g: list = field(default_factory=list)
    d_real: list = field(default_factory=list)
    d_fake: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    snapshot_iterations: list = field(default_factory=list)
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.loss_d)

    def arrays(self) -> dict[str, np.ndarray]:
        """The records as arrays, e.g. for plotting or saving."""
        return {
            "loss_d": np.asarray(self.loss_d, dtype=np.float64),
            "loss_g": np.asarray(self.loss_g, dtype=np.float64),
            "d_real": np.asarray(self.d_real, dtype=np.float64),
            "d_fake": np.asarray(self.d_fake, dtype=np.float64),
            "snapshots": np.asarray(self.snapshots, dtype=np.float16),
            "snapshot_iterations": np.asarray(self.snapshot_iterations, dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: dict) -> History:
        h = cls()
        for name in ("loss_d", "loss_g", "d_real", "d_fake", "snapshot_iterations"):
            getattr(h, name).extend(np.asarray(arrays[name]).tolist())
        h.snapshots.extend(np.asarray(arrays["snapshots"], dtype=np.float16))
        return h


class TrainingDiverged(RuntimeError):
    """A loss became NaN or Inf. The weights are those before the offending step."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


class StopTraining(Exception):
    """Raised by a ``train`` callback to stop after the current iteration (the model stays consistent)."""
