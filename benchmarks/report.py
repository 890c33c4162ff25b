r"""From the workers' raw records to figures, ratios and Markdown tables.

Figures of one record (README.md defines them with formulas):

- ``e2e_s``: wall time of the first run (compilation included);
- ``compile_s``, ``compilations``: compilation within the first run;
- ``sampling_s``: execution time of ``num_samples`` more draws without warm-up;
- ``warmup_s``: the first run's execution time (``e2e_s - compile_s``) less
  ``sampling_s``: warm-up plus initialisation;
- ``ess_bulk``, ``ess_tail``: min over scalar parameters, first run;
- ``ess_per_s_sampling`` = min bulk ESS of the more draws / ``sampling_s``;
- ``ess_per_s_e2e`` = first run's min bulk ESS / ``e2e_s``;
- ``ess_per_1k_grad`` = first run's min bulk ESS / (its sampling-phase gradients / 1000);
- ``us_per_grad`` = ``sampling_s`` / gradients of the more draws; ``overhead`` = that /
  the bare gradient's time;
- ``agreement``: max standardised difference of posterior means from NumPyro's;
- ``refit_compilations``: XLA compilations of a ``fit`` on new data of the same shapes
  after a ``fit`` on the first data (both at the quick size; ``fit`` only);
  ``resize_compilations``: those of the quick ``fit`` after the full one (same data).

A row run at the quick size inside a full suite (``fit-warm-cache``) keeps only its
compilation figures; its ``e2e_s`` is estimated as the cold ``fit``'s ``e2e_s - compile_s``
plus its own ``compile_s``.
"""

from __future__ import annotations

from . import stats

LOWER_IS_BETTER = ("e2e_s", "compile_s", "warmup_s", "sampling_s", "peak_mb")
HIGHER_IS_BETTER = ("ess_per_s_sampling", "ess_per_s_e2e", "ess_per_1k_grad")
RATIO_FIGURES = LOWER_IS_BETTER + HIGHER_IS_BETTER
REFERENCE = ("numpyro", "vectorized")  # the run every posterior is compared with
DENSITY_OF = {"blackjax": "numpyro"}  # BlackJAX runs on NumPyro's log density


def _div(a, b):
    return None if a is None or b is None or b == 0 else a / b


def figures(record: dict) -> dict:
    """The reported figures of one worker record (``None`` where not measured)."""
    first, more, refit = record["first_run"], record.get("more_draws"), record.get("refit")
    sampling_s = more["execution_seconds"] if more else None
    return {
        "e2e_s": first["seconds"],
        "compile_s": first["compile_seconds"],
        "compilations": first["compilations"],
        # async dispatch can overlap compilation with execution: a lower bound, clamped
        "warmup_s": None if more is None else max(first["seconds"] - first["compile_seconds"] - sampling_s, 0.0),
        "sampling_s": sampling_s,
        "ess_bulk": first["min_ess_bulk"],
        "ess_tail": first["min_ess_tail"],
        "ess_per_s_sampling": _div(more and more["min_ess_bulk"], sampling_s),
        "ess_per_s_e2e": _div(first["min_ess_bulk"], first["seconds"]),
        "ess_per_1k_grad": _div(first["min_ess_bulk"], first["gradients"] / 1000),
        "max_r_hat": first["max_r_hat"],
        "divergences": first["divergences"],
        "peak_mb": record["memory_first_run_mb"],
        "us_per_grad": _div(sampling_s, more and more["gradients"] / 1e6),
        "refit_compilations": refit and refit["compilations"],
        "resize_compilations": refit and record["resized"]["compilations"],
    }


COMPILE_ONLY = ("compile_s", "compilations")


def _compile_only(row: dict, cold: dict | None) -> None:
    """Keep a quick-size row's compilation figures; estimate its full-size ``e2e_s``."""
    f = row["figures"]
    row["figures"] = {k: (v if k in COMPILE_ONLY else None) for k, v in f.items()}
    if cold is not None:
        c = cold["figures"]
        row["figures"]["e2e_s"] = c["e2e_s"] - c["compile_s"] + f["compile_s"]
    row["estimated"] = True


def _best(rows: list[dict], figure: str):
    values = [r["figures"][figure] for r in rows if r["figures"].get(figure) is not None]
    if not values:
        return None
    return min(values) if figure in LOWER_IS_BETTER else max(values)


def analyse(records: list[dict], size: dict) -> list[dict]:
    """Rows ``{model, library, setting, figures, ratios, error}``, with the ratios to the
    best NumPyro setting and to BlackJAX of the same model, the posterior agreement with
    NumPyro and the per-gradient overhead filled in. ``size`` is the suite's run size."""
    rows = []
    for record in records:
        row = {key: record[key] for key in ("model", "library", "setting")}
        row["error"] = record.get("error")
        row["figures"] = figures(record) if not row["error"] else {}
        row["record"] = record
        rows.append(row)
    for row in rows:
        if not row["error"] and row["record"]["size"] != size:
            cold = [r for r in rows if r["model"] == row["model"] and r["setting"] == "fit" and not r["error"]]
            _compile_only(row, cold[0] if cold else None)
    for model in dict.fromkeys(r["model"] for r in rows):
        ok = [r for r in rows if r["model"] == model and not r["error"]]
        numpyro = [r for r in ok if r["library"] == "numpyro"]
        blackjax = [r for r in ok if r["library"] == "blackjax"]
        reference = next((r for r in numpyro if (r["library"], r["setting"]) == REFERENCE), numpyro[0] if numpyro else None)
        bare = {r["library"]: r["record"]["bare_gradient_seconds"] for r in ok if "bare_gradient_seconds" in r["record"]}
        for row in ok:
            f = row["figures"]
            density = DENSITY_OF.get(row["library"], row["library"])
            f["bare_us_per_grad"] = None if density not in bare else bare[density] * 1e6
            f["overhead"] = _div(f["us_per_grad"], f["bare_us_per_grad"])
            row["ratios"] = {
                "numpyro_best": {k: _div(f[k], _best(numpyro, k)) for k in RATIO_FIGURES},
                "blackjax": {k: _div(f[k], _best(blackjax, k)) for k in RATIO_FIGURES},
            }
            if reference is not None and row is not reference and not row.get("estimated"):
                ours, theirs = row["record"]["first_run"]["scalars"], reference["record"]["first_run"]["scalars"]
                f["agreement"], f["agreement_worst"] = stats.agreement(ours, theirs)
                f["agreement_threshold"] = stats.agreement_threshold(len(ours["name"]))
    return rows


def targets(rows: list[dict]) -> list[dict]:
    """The issue's targets, per model: our figure over the peers' best (see README)."""
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        ok = [r for r in rows if r["model"] == model and not r["error"]]

        def pick(library, settings=None):
            return [r for r in ok if r["library"] == library and (settings is None or r["setting"] in settings)]

        ours_mcmc = pick("bayesmodels", ("vectorized", "parallel"))
        ours_all = pick("bayesmodels", ("vectorized", "parallel", "fit"))
        numpyro, peers = pick("numpyro"), pick("numpyro") + pick("blackjax")
        fit = pick("bayesmodels", ("fit",))
        warm = pick("bayesmodels", ("fit-warm-cache",))
        vectorized = pick("bayesmodels", ("vectorized",))
        low_rank = pick("bayesmodels", ("parallel-low-rank",))  # opt-in, so apart from the targets
        out.append(
            {
                "model": model,
                "fit_e2e_vs_numpyro": _div(_best(fit, "e2e_s"), _best(numpyro, "e2e_s")),
                "warm_fit_e2e_vs_numpyro": _div(_best(warm, "e2e_s"), _best(numpyro, "e2e_s")),
                "ess_per_s_sampling_vs_peers": _div(_best(ours_mcmc, "ess_per_s_sampling"), _best(peers, "ess_per_s_sampling")),
                "ess_per_grad_vs_numpyro": _div(_best(ours_all, "ess_per_1k_grad"), _best(numpyro, "ess_per_1k_grad")),
                "low_rank_ess_per_grad_vs_numpyro": _div(_best(low_rank, "ess_per_1k_grad"), _best(numpyro, "ess_per_1k_grad")),
                "low_rank_ess_per_s_sampling_vs_peers": _div(
                    _best(low_rank, "ess_per_s_sampling"), _best(peers, "ess_per_s_sampling")
                ),
                "refit_compilations": fit[0]["figures"]["refit_compilations"] if fit else None,
                "warm_cache_compile_s": warm[0]["figures"]["compile_s"] if warm else None,
                "overhead": vectorized[0]["figures"]["overhead"] if vectorized else None,
            }
        )
    return out


# -- Markdown ------------------------------------------------------------------------------


def _fmt(value, digits=3):
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def _agreement(f: dict) -> str:
    if f.get("agreement") is None:
        return "ref" if f.get("ess_bulk") else "—"
    flag = "" if f["agreement"] <= f["agreement_threshold"] else " ✗"
    return f"{f['agreement']:.2f}{flag}"


FIGURE_COLUMNS = (
    ("e2e s", lambda f: _fmt(f["e2e_s"])),
    ("compile s (n)", lambda f: f"{_fmt(f['compile_s'])} ({f['compilations']})"),
    ("warm-up + init s", lambda f: _fmt(f["warmup_s"])),
    ("sampling s", lambda f: _fmt(f["sampling_s"])),
    ("ESS bulk / tail", lambda f: f"{f['ess_bulk']:.0f} / {f['ess_tail']:.0f}" if f["ess_bulk"] else "—"),
    ("ESS/s sampling", lambda f: _fmt(f["ess_per_s_sampling"])),
    ("ESS/s e2e", lambda f: _fmt(f["ess_per_s_e2e"])),
    ("ESS/1k grad", lambda f: _fmt(f["ess_per_1k_grad"])),
    ("max r-hat", lambda f: _fmt(f["max_r_hat"], 4)),
    ("div", lambda f: _fmt(f["divergences"])),
    ("peak MiB", lambda f: _fmt(f["peak_mb"])),
    ("compiles: refit / resize", lambda f: f"{f['refit_compilations']} / {f['resize_compilations']}" if f["refit_compilations"] is not None else "—"),
    ("µs/grad (× bare)", lambda f: f"{_fmt(f['us_per_grad'])} ({_fmt(f['overhead'])})" if f["us_per_grad"] else "—"),
    ("Δmean z", _agreement),
)

RATIO_COLUMNS = (
    ("e2e", "e2e_s"),
    ("compile", "compile_s"),
    ("warm-up", "warmup_s"),
    ("sampling", "sampling_s"),
    ("ESS/s sampling", "ess_per_s_sampling"),
    ("ESS/s e2e", "ess_per_s_e2e"),
    ("ESS/1k grad", "ess_per_1k_grad"),
    ("peak MiB", "peak_mb"),
)


def _table(header, lines) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(l) + " |" for l in lines)]


def markdown(rows: list[dict], model_names: dict) -> str:
    """Per model: a table of the figures, a table of the ratios; then the targets."""
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        out += [f"### ({model}) {model_names[model]}", ""]
        lines = []
        for r in mine:
            label = f"{r['library']}/{r['setting']}" + (" (e2e estimated)" if r.get("estimated") else "")
            if r["error"]:
                lines.append([label, f"failed: {r['error'][:80]}"] + [""] * (len(FIGURE_COLUMNS) - 1))
            else:
                lines.append([label] + [cell(r["figures"]) for _, cell in FIGURE_COLUMNS])
        out += _table(["setting"] + [name for name, _ in FIGURE_COLUMNS], lines) + [""]
        lines = []
        for r in mine:
            if r["error"]:
                continue
            for peer in ("numpyro_best", "blackjax"):
                ratios = r["ratios"][peer]
                if all(v is None for v in ratios.values()):
                    continue
                lines.append(
                    [f"{r['library']}/{r['setting']}", "best NumPyro" if peer == "numpyro_best" else "BlackJAX"]
                    + [_fmt(ratios[key], 2) for _, key in RATIO_COLUMNS]
                )
        out += ["Ratios (this row ÷ the peer; < 1 is better for times and memory, > 1 for ESS rates):", ""]
        out += _table(["setting", "vs"] + [name for name, _ in RATIO_COLUMNS], lines) + [""]
    out += ["### The issue's targets", ""]
    lines = [
        [
            f"({t['model']})",
            _fmt(t["fit_e2e_vs_numpyro"], 2),
            _fmt(t["warm_fit_e2e_vs_numpyro"], 2),
            _fmt(t["ess_per_s_sampling_vs_peers"], 2),
            _fmt(t["ess_per_grad_vs_numpyro"], 2),
            _fmt(t["refit_compilations"]),
            _fmt(t["warm_cache_compile_s"], 2),
            _fmt(t["overhead"], 2),
            _fmt(t["low_rank_ess_per_grad_vs_numpyro"], 2),
            _fmt(t["low_rank_ess_per_s_sampling_vs_peers"], 2),
        ]
        for t in targets(rows)
    ]
    header = [
        "model",
        "fit e2e ÷ best NumPyro (≤ 0.5)",
        "same, warm cache",
        "sampling ESS/s ÷ best peer (≥ 1.5)",
        "ESS/grad ÷ best NumPyro (≥ 1; ≥ 1.5 on d, e)",
        "compiles in 2nd fit (0)",
        "warm-cache compile s (≤ 1)",
        "per-grad overhead (≤ 1.3 on b, e)",
        "opt-in low_rank_mass=10: ESS/grad ÷ best NumPyro",
        "same: sampling ESS/s ÷ best peer",
    ]
    out += _table(header, lines)
    return "\n".join(out) + "\n"
