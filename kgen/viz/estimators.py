"""The gradient-estimator variance study (`kgen.ops.estimators.variance_study`) as a text table
and a log-log plot."""

import numpy as np

from kgen.core.errors import KgenTypeError
from kgen.core.validation import fail
from kgen.viz.curves import curves

__all__ = ["format_variance_table", "plot_variance_study"]


_STUDY_KEYS = (
    "sizes", "score_function_mean", "score_function_var", "pathwise_mean", "pathwise_var",
    "baseline_mean", "baseline_var", "score_function_var_exact", "pathwise_var_exact",
    "baseline_var_exact",
)


def _check_study(study):
    if not isinstance(study, dict):
        fail("study", study, "the dict returned by variance_study", KgenTypeError)
    missing = [key for key in _STUDY_KEYS if key not in study]
    if missing:
        fail("study", sorted(study), "the dict returned by variance_study (missing keys "
             + ", ".join(missing) + ")")
    return {key: np.asarray(value, dtype="float64") for key, value in study.items()}


def format_variance_table(study):
    """The variance study as a text table, closed forms beside the measured values.

    Args:
        study: dict returned by `variance_study`.

    Returns:
        str, one header block and one row per sample size N: for each estimator
        (score function, pathwise, score function with baseline b = theta^2 + 1) the
        mean of the estimates, their variance and the closed-form variance; then the
        measured variance ratios score/pathwise and score/baseline with their closed
        forms in parentheses.

    Examples:
        >>> study = kgen.estimators.variance_study(sizes=(10, 100), reps=50, seed=0)
        >>> table = kgen.estimators.format_variance_table(study)
        >>> print(table.splitlines()[0])
        Gradient of E[z^2], z ~ N(theta, 1), theta = 2: true gradient 2 theta = 4
        >>> len(table.splitlines())        # 5 header lines, one row per N
        7
    """
    s = _check_study(study)
    sizes = s["sizes"]
    gradient = s.get("gradient_exact")
    reps = s.get("reps")
    title = "Gradient of E[z^2], z ~ N(theta, 1)"
    if gradient is not None:
        title += f", theta = {gradient[0] / 2:g}: true gradient 2 theta = {gradient[0]:g}"
    lines = [title]
    if reps is not None:
        lines.append(f"{int(reps[0])} repetitions per N; var = variance of the estimates "
                     "(ddof=1); exact = closed form")
    groups = ("score function", "pathwise", "baseline b=E[f]")
    header1 = f"{'':>7} |" + "|".join(f" {g:^31} " for g in groups) + "| variance ratios (exact)"
    header2 = f"{'N':>7} |" + "|".join(
        f" {'mean':>8} {'var':>10} {'exact':>10} " for _ in groups
    ) + f"| {'score/path':>16} {'score/base':>14}"
    lines += [header1, header2, "-" * len(header2)]
    for i, n in enumerate(sizes):
        cells = []
        for prefix in ("score_function", "pathwise", "baseline"):
            cells.append(
                f" {s[prefix + '_mean'][i]:8.4f} {s[prefix + '_var'][i]:10.3e} "
                f"{s[prefix + '_var_exact'][i]:10.3e} "
            )
        path_ratio = s["score_function_var"][i] / s["pathwise_var"][i]
        path_exact = s["score_function_var_exact"][i] / s["pathwise_var_exact"][i]
        base_ratio = s["score_function_var"][i] / s["baseline_var"][i]
        base_exact = s["score_function_var_exact"][i] / s["baseline_var_exact"][i]
        lines.append(
            f"{int(n):>7} |" + "|".join(cells)
            + f"| {path_ratio:6.2f} ({path_exact:6.2f}) {base_ratio:5.2f} ({base_exact:5.2f})"
        )
    return "\n".join(lines)


def plot_variance_study(study, path):
    """Save a log-log plot of estimator variance against N, measured and closed form.

    Measured variances are drawn as lines with markers, closed forms dashed
    (via `kgen.viz.curves.curves`; needs matplotlib, ``pip install 'kgen[plot]'``).

    Args:
        study: dict returned by `variance_study`.
        path: str, where to write the PNG (written atomically).

    Returns:
        The path written.

    Examples:
        >>> study = kgen.estimators.variance_study(sizes=(10, 100), reps=50, seed=0)
        >>> kgen.estimators.plot_variance_study(study, "variance.png")
        'variance.png'
    """
    s = _check_study(study)
    if not isinstance(path, (str, bytes)) and not hasattr(path, "__fspath__"):
        fail("path", path, "a file path (str or os.PathLike)", KgenTypeError)
    sizes = s["sizes"]
    series = {}
    for prefix, label in (
        ("score_function", "score function"),
        ("baseline", "score function, baseline b=E[f]"),
        ("pathwise", "pathwise"),
    ):
        series[label] = (sizes, s[prefix + "_var"])
        series[label + " (exact)"] = (sizes, s[prefix + "_var_exact"])
    title = "Variance of gradient estimators, z ~ N(theta, 1), f = z^2"
    if "gradient_exact" in s:
        title = f"Variance of gradient estimators, z ~ N({s['gradient_exact'][0] / 2:g}, 1), f = z^2"
    return curves(
        series, path, xlabel="N (samples per estimate)", ylabel="variance of the estimate",
        title=title, logx=True, logy=True,
    )
