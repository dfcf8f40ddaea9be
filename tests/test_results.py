"""ganlib.evaluation.results: the case studies' files (data/results) as notebooks 07 and 09 read them."""

import json

import numpy as np
import pytest

from ganlib.data import paths
from ganlib.evaluation import results


def test_the_shipped_post_run_loads_and_its_row_is_its_final_measures():
    run = results.load_run("post")
    row = results.summary_row(run)
    assert row["run"] == "post" and row["classes_covered"] == run["final"]["classes_covered"]
    assert row["d_x"] == run["final"]["d_x_train"] and row["d_g_z"] == run["final"]["d_g_z"]
    assert "post" in results.available_runs()
    assert not {"noise", "post_log", "minutes"} & set(results.available_runs())
    assert results.load_picture("post", "codes").dtype == np.uint8
    assert results.load_picture("post").ndim == 2


def test_histogram_over_epochs_has_one_row_per_evaluation():
    run = results.load_run("post")
    epochs, fractions = results.histogram_over_epochs(run)
    assert fractions.shape == (len(run["evaluations"]), 10) and epochs[-1] == run["final"]["epoch"]
    assert np.allclose(fractions.sum(axis=1), 1, atol=1e-3)


def _fake_run(name):
    final = {
        "classes_covered": 3,
        "min_fraction": 0.0,
        "kl_to_uniform": 1.5,
        "frechet_distance": 123.456,
        "pixel_std": 0.1,
        "d_x_train": 0.9,
        "d_g_z": 0.25,
        "epoch": 2,
    }
    evaluations = [{"epoch": 1, "fractions": [0.1] * 10}, {"epoch": 2, "fractions": [1.0] + [0.0] * 9}]
    return {"run": name, "final": final, "evaluations": evaluations, "per_epoch": {}, "config": {}}


def test_markdown_table_formats_each_column(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(_fake_run("a")))
    table = results.markdown_table([results.summary_row(results.load_run("a", tmp_path))])
    lines = table.splitlines()
    assert len(lines) == 3 and lines[1].count("---") == len(results.COLUMNS)
    assert lines[2] == "| `a` | 3 | 0.0% | 1.500 | 123.5 | 0.100 | 0.900 | 0.250 |"
    assert results.markdown_table([], ["run", "d_g_z"]).splitlines()[0] == "| run | mean D(G(z)) |"


def test_a_missing_file_names_the_command_that_writes_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m benchmarks.experiments.case_studies --runs post_x"):
        results.load_run("post_x", tmp_path)
    with pytest.raises(FileNotFoundError, match="--runs noise"):
        results.load_noise(tmp_path)
    with pytest.raises(ValueError, match="kind must be"):
        results.load_picture("post", "gif")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a case-study run"):
        results.load_run("bad", tmp_path)


def test_results_dir_is_the_checkouts():
    assert paths.results_dir() == paths.checkout_root() / "data" / "results"


def test_the_posts_printed_log_has_its_100_epochs():
    log = results.load_post_log()
    assert len(log["epoch"]) == len(log["loss_g"]) == len(log["loss_d"]) == 100
    assert (log["loss_g"][-1], log["loss_d"][-1]) == (0.689197, 0.712495)  # the post's last line


def test_load_minutes_reads_the_shipped_curves_and_names_the_command_when_missing(tmp_path):
    from ganlib.evaluation.results import load_minutes

    curves = load_minutes()
    assert len(curves) == 2
    for points in curves.values():
        minutes = [p["minutes"] for p in points]
        assert minutes == sorted(minutes) and minutes[0] == 0
        assert all(p["fd"] > 0 and 0 <= p["min_class"] <= 1 for p in points)
        assert any(p.get("parzen") is not None for p in points)
        assert points[0]["iterations_per_second_quiet"] > 0
    with pytest.raises(FileNotFoundError, match="benchmarks.experiments.search_default curves"):
        load_minutes(tmp_path)


def test_load_minutes_comparison_reads_both_shipped_configurations(tmp_path):
    from ganlib.evaluation.results import MINUTES_LABELS, load_minutes_comparison

    curves = load_minutes_comparison()
    assert set(curves) == {MINUTES_LABELS["default"], MINUTES_LABELS["dcgan"]}
    for points in curves.values():
        minutes = [p["minutes"] for p in points]
        assert minutes == sorted(minutes) and minutes[0] == 0 and len(points) >= 3
        assert all(p["fd"] > 0 and p["kl"] >= 0 and 0 <= p["min_class"] <= 1 for p in points)
        assert points[-1]["fd"] < points[0]["fd"]  # training improves the samples
    with pytest.raises(FileNotFoundError, match="benchmarks.experiments.minutes plot default dcgan"):
        load_minutes_comparison(tmp_path)
