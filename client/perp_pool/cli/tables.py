"""Numbers for people, in columns that fit the terminal: exact fixed-point text with one number of
decimal places per column (so the points line up), right-aligned, and key/value blocks.

`column(values, 6)` formats base units with the fewest decimal places (at least `min_places`) that
show every value of the column exactly, or `max_places` when given (then truncated: the tables
say so, and `--wide` / `--json` show every digit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from perp_pool.cli.units import format_units


def _places_needed(value: int, decimals: int) -> int:
    frac = abs(value) % 10**decimals
    if frac == 0:
        return 0
    places = decimals
    while frac % 10 == 0:
        frac //= 10
        places -= 1
    return places


def column(values: Sequence[int | None], decimals: int, *, min_places: int = 2, max_places: int | None = None,
           missing: str = "") -> list[str]:
    """Each value (base units with `decimals`) with the same number of decimal places, grouped."""
    present = [v for v in values if v is not None]
    places = max([min_places, *(_places_needed(v, decimals) for v in present)])
    places = min(places, decimals)
    if max_places is not None:
        places = min(places, max(max_places, 0))
    out = []
    for v in values:
        if v is None:
            out.append(missing)
            continue
        scaled = abs(v) // 10 ** (decimals - places)  # truncated toward zero when places < decimals
        text = format_units(scaled, places, group=True)
        out.append(("-" + text) if v < 0 and scaled else text)
    return out


def price_places(values: Sequence[int | None], decimals: int) -> int:
    """Decimal places to show prices with in a narrow table: 4 when every price is at least 1, else
    all of them (small prices need their digits)."""
    present = [v for v in values if v is not None]
    return 4 if all(v >= 10**decimals for v in present) else decimals


def align_points(texts: Sequence[str]) -> list[str]:
    """Pads on the right so that the decimal points of right-aligned numbers line up."""
    def frac_len(t: str) -> int:
        head = t.split(" ")[0]
        return len(head) - head.index(".") if "." in head else 0

    width = max((frac_len(t) for t in texts), default=0)
    return [t + " " * (width - frac_len(t)) for t in texts]


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    note: str = ""


def print_block(out: Console, title: str, rows: Sequence[Row]) -> None:
    """A title line, then `  label  value  note` lines: labels left, values right-aligned on their
    decimal points."""
    out.print(title, markup=False, highlight=False, soft_wrap=True)
    label_width = max((len(r.label) for r in rows), default=0)
    values = align_points([r.value for r in rows])
    value_width = max((len(v) for v in values), default=0)
    for r, v in zip(rows, values, strict=True):
        line = f"  {r.label:<{label_width}}  {v:>{value_width}}"
        out.print(f"{line}  {r.note}".rstrip() if r.note else line.rstrip(), markup=False, highlight=False,
                  soft_wrap=True)


def _width(markup: str) -> int:
    """Terminal cells a cell's text takes (its markup, e.g. an escaped `\\[`, rendered)."""
    return Text.from_markup(markup).cell_len


class AlignedTable(Table):
    """A rich Table whose right-aligned columns are padded here, once, when it is first rendered:
    rich does not justify cells whose overflow is "ignore" (what keeps a cell whole, never wrapped
    nor cropped, whatever the terminal's width), so the numbers would otherwise be left-aligned."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rows_text: list[list[str]] = []
        self._right: list[bool] = []

    def add_aligned_column(self, header: str, right: bool) -> None:
        self.add_column(header, no_wrap=True, overflow="ignore")
        self._right.append(right)

    def add_row(self, *cells: Any, **kwargs: Any) -> None:
        if not self._right or kwargs or not all(isinstance(c, str) for c in cells):
            super().add_row(*cells, **kwargs)
            return
        self._rows_text.append(list(cells))

    def _pad(self) -> None:
        rows, self._rows_text = self._rows_text, []
        headers = [str(column.header).split("\n") for column in self.columns]
        widths = [max([_width(r[i]) for r in rows if i < len(r)] + [_width(line) for line in headers[i]])
                  for i in range(len(self.columns))]
        for i, column in enumerate(self.columns):
            if self._right[i]:
                column.header = "\n".join(" " * (widths[i] - _width(line)) + line for line in headers[i])
        for r in rows:
            super().add_row(*(" " * (widths[i] - _width(c)) + c if self._right[i] else c for i, c in enumerate(r)))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self._rows_text:
            self._pad()
        return super().__rich_console__(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if self._rows_text:
            self._pad()
        return super().__rich_measure__(console, options)


def table(title: str | None, columns: Sequence[tuple[str, str]]) -> Table:
    """A table of cells that never wrap, two spaces between columns: (header, "left" | "right") per
    column; a header may have two lines ("size\n(USD)": the unit under the name). Right-aligned
    columns are aligned by AlignedTable (each cell padded to the column's widest)."""
    t = AlignedTable(title=escape(title) if title else None, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                     padding=(0, 1, 0, 0), title_justify="left", header_style="bold", title_style="")
    for header, justify in columns:
        t.add_aligned_column(escape(header), justify == "right")
    return t


def print_wide(out: Console, renderable: Table) -> None:
    """Prints at the table's own width, however wide (for `--wide`: lines may exceed the terminal)."""
    width = out.measure(renderable, options=out.options.update(width=10_000)).maximum
    # Console.print clamps its `width` to the console's: a console of the table's width, same file.
    wide = Console(file=out.file, width=max(width, out.width), highlight=False, soft_wrap=False,
                   force_terminal=out.is_terminal, no_color=out.no_color)
    wide.print(renderable, crop=False)
