"""PNG charts of a stress run (matplotlib, Agg backend: no display needed): the LP value fan chart
over the horizon and a histogram of each tranche's loss at the horizon."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from perp_pool.constants import USD_POWER  # noqa: E402
from perp_pool.risk.simulate import Simulation  # noqa: E402

FAN_BANDS = ((0.01, 0.99, 0.15), (0.05, 0.95, 0.25), (0.25, 0.75, 0.4))


def fan_chart(sim: Simulation, path: Path) -> Path:
    """LP value (USD) over time: median line, bands 1-99 %, 5-95 %, 25-75 % of paths."""
    hours = sim.checkpoints * sim.config.run.step_sec / 3600
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    for lo, hi, alpha in FAN_BANDS:
        ax.fill_between(hours, np.quantile(sim.fan_usd, lo, axis=0), np.quantile(sim.fan_usd, hi, axis=0),
                        color="tab:blue", alpha=alpha, linewidth=0, label=f"{lo:.0%}-{hi:.0%} of paths")
    ax.plot(hours, np.quantile(sim.fan_usd, 0.5, axis=0), color="tab:blue", linewidth=2, label="median")
    ax.axhline(sim.aum_start_usd / USD_POWER, color="grey", linestyle="--", linewidth=1, label="start")
    ax.set_title(f"pool {sim.config.pool.name}: LP value over {sim.paths:,} paths")
    ax.set_xlabel("hours")
    ax.set_ylabel("LP value (USD)")
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def loss_histograms(sim: Simulation, path: Path) -> Path:
    """Per tranche, the distribution of its loss at the horizon (USD; negative = gain), with the
    99 % VaR marked."""
    junior_start, senior_start = (int(x[0]) for x in sim.navs(end=False))
    junior_end, senior_end = sim.navs(end=True)
    tranches = [("junior" if sim.config.pool.tranches else "LP", junior_start - junior_end)]
    if sim.config.pool.tranches is not None:
        tranches.append(("senior", senior_start - senior_end))
    fig, axes = plt.subplots(1, len(tranches), figsize=(5.5 * len(tranches), 4.5), dpi=110, squeeze=False)
    for ax, (name, loss) in zip(axes[0], tranches, strict=True):
        usd = loss / USD_POWER
        ax.hist(usd, bins=60, color="tab:red" if name != "senior" else "tab:green", alpha=0.75)
        if float(np.ptp(usd)) == 0.0:
            ax.text(0.5, 0.9, f"the same on every path: {usd[0]:,.2f} USD", transform=ax.transAxes, ha="center")
        var99 = float(np.quantile(usd, 0.99))
        ax.axvline(var99, color="black", linestyle="--", linewidth=1, label=f"99 % VaR {var99:,.0f} USD")
        ax.set_title(f"{name} tranche: loss at the horizon")
        ax.set_xlabel("loss (USD, negative = gain)")
        ax.set_ylabel("paths")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def write_charts(sim: Simulation, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [fan_chart(sim, directory / "lp_value_fan.png"), loss_histograms(sim, directory / "tranche_losses.png")]


__all__ = ["fan_chart", "loss_histograms", "write_charts"]
