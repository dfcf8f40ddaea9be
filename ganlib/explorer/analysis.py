"""The checks beside the explorer's digit: what the classifier says, and the nearest training image.

:class:`AnalysisPanel` is the part of :class:`ganlib.explorer.widget.LatentExplorer` that fills
``prediction``, ``nearest_image`` and ``nearest_label`` for the image on display
(``self._x``): the MNIST classifier's probabilities (:mod:`ganlib.evaluation.classifier`) and the
closest of the 50,000 training images with its distance
(:class:`ganlib.evaluation.metrics.NearestNeighbours`). Inside a running kernel it runs at most every
``analysis_interval`` seconds while a slider moves, and once more when it stops; in plain
Python (tests) it runs at once. Either may be switched off or fail to load: the panel then
says why, and the explorer goes on without it.
"""

from __future__ import annotations

import asyncio
import html
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..data import paths
from .view import bars_svg, reason, render_png

__all__ = ["AnalysisPanel"]


@lru_cache(maxsize=1)
def _default_nearest():
    """The 50,000 MNIST ``train`` images (as in ganlib.evaluation.metrics), loaded once per process."""
    from ..data.mnist import load_mnist
    from ..evaluation.metrics import NearestNeighbours

    return NearestNeighbours(load_mnist("train")[0])


def _default_classifier():
    from ..evaluation.classifier import default_classifier

    return default_classifier()


class AnalysisPanel:
    """Mixin: the classifier and nearest-neighbour readouts (needs ``_x``, ``analysis_interval``, the widgets)."""

    def _init_classifier(self, classifier):
        if classifier is None:
            return None, "switched off"
        try:
            if isinstance(classifier, str) and classifier == "default":
                return _default_classifier(), None
            if isinstance(classifier, (str, Path)):
                from ..evaluation.classifier import Classifier

                return Classifier.load(paths.resolve_user_path(classifier)), None
            return classifier, None
        except Exception as err:  # noqa: BLE001 - any failure only disables the prediction
            return None, reason(err)

    def _init_nearest(self, train_images):
        if train_images is None:
            return None, "switched off"
        try:
            if isinstance(train_images, str) and train_images == "default":
                return _default_nearest(), None
            from ..evaluation.metrics import NearestNeighbours

            return NearestNeighbours(train_images), None
        except Exception as err:  # noqa: BLE001 - any failure only disables the check
            return None, reason(err)

    # -- classifier and nearest neighbour, throttled while sliding ----------------------------------
    def _request_analysis(self) -> None:
        loop = _running_loop()
        if loop is None or self.analysis_interval <= 0:
            self._safe_analyse()
            return
        if self._pending is not None:
            return  # a trailing update is already scheduled; it will use the latest image
        wait = self._last_analysis + self.analysis_interval - time.monotonic()
        if wait <= 0:
            self._safe_analyse()
        else:
            self._pending = loop.call_later(wait, self._run_pending)

    def _run_pending(self) -> None:
        self._pending = None
        self._safe_analyse()

    def _safe_analyse(self) -> None:
        try:
            self._analyse()
        except Exception as err:  # noqa: BLE001 - show it in the page, never as a silent kernel log
            self.show_status(f"analysis failed: {reason(err)}", error=True)

    def _analyse(self) -> None:
        self._last_analysis = time.monotonic()
        x = self._x
        if x is None:
            return
        self.prediction.value = self._prediction_html(x)
        if self.nearest is None:
            self.nearest_image.value = b""
            self.nearest_label.value = f"<span class='ge-small'>unavailable: {html.escape(self.nearest_error)}</span>"
            return
        distances, indices = self.nearest.query(x)
        distance, index = float(distances[0]), int(indices[0])
        self.nearest_image.value = render_png(self.nearest.images[index], scale=3)
        self.nearest_label.value = (
            f"distance <b>{distance:.2f}</b><br><span class='ge-small'>training image #{index}<br>"
            "(Euclidean, pixels in [-1, 1]; near 0 would mean a copy)</span>"
        )

    def _prediction_html(self, x) -> str:
        if self.classifier is None:
            return (
                "<b>Classifier</b><br><span class='ge-small'>classifier unavailable: "
                f"{html.escape(self.classifier_error)}</span>"
            )
        p = self.classifier.predict_proba(x.reshape(1, -1))[0]
        top = int(np.argmax(p))
        return f"<b>Classifier</b>: {top} <span class='ge-small'>({p[top]:.0%})</span><br>" + bars_svg(p, top)


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
