"""The dashboard's figures (matplotlib, drawn to PNG on the server: no JavaScript needed).

Each view is built once per model and language; a new week only changes data (colours, line
data), which costs a few milliseconds instead of a new figure. Chinese text needs a CJK font:
:func:`find_cjk_font` asks matplotlib's font manager for the usual fonts of Windows, macOS
and Linux; with none, charts fall back to English and the page says so.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager, patches, ticker  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.legend_handler import HandlerTuple  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from PIL import Image  # noqa: E402

from model.model import CommunityModel  # noqa: E402

from .i18n import t  # noqa: E402
from .runs import comparison_bands, grid_ids  # noqa: E402

#: Okabe–Ito colours (safe for the common forms of colour blindness).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
GROUP_SERIES = ("retired", "working", "youth", "low_income", "party")
MARKER_COLOUR = "#B00020"

#: Font families that draw Chinese, by platform (matplotlib names), most legible first.
CJK_FAMILIES = (
    "Microsoft YaHei", "DengXian", "SimHei",  # Windows: 微软雅黑, 等线, 黑体
    "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti", "Songti SC",  # macOS: 苹方 …
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Sarasa Gothic SC", "Droid Sans Fallback",
    "AR PL UMing CN", "AR PL UKai CN", "SimSun", "NSimSun",
)  # fmt: skip


def find_cjk_font() -> list[str]:
    """Families that can draw Chinese, registered with matplotlib; [] if there are none.

    matplotlib's font cache may predate fonts installed later, so when none of the known
    families is cached the system font folders (of any platform) are scanned once.
    """

    def known() -> list[str]:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return [f for f in CJK_FAMILIES if f in names]

    found = known()
    if not found:
        for path in font_manager.findSystemFonts():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
        found = known()
    return found


CJK_FONTS = find_cjk_font()
HAS_CJK_FONT = bool(CJK_FONTS)
plt.rcParams["font.sans-serif"] = [*CJK_FONTS, "DejaVu Sans"]
plt.rcParams["font.size"] = 10
plt.rcParams["axes.unicode_minus"] = False  # the CJK fonts lack U+2212


def chart_lang(lang: str) -> str:
    """The language charts are drawn in: Chinese needs a font."""
    return lang if lang == "en" or HAS_CJK_FONT else "en"


def png(fig: Figure, dpi: float | None = None) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi)
    return buf.getvalue()


class Blitted:
    """A figure whose static parts are drawn once and kept as pixels.

    Text and axes are most of matplotlib's drawing time (~75 ms for a small chart); a new
    week only redraws the *dynamic* artists on top of the kept background (a few ms), then
    encodes the pixels with fast PNG compression.
    """

    fig: Figure

    def _blit_init(self, dynamic: list) -> None:
        if not isinstance(self.fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(self.fig)
        self.canvas = self.fig.canvas
        self.dynamic = dynamic
        for artist in dynamic:
            artist.set_animated(True)
        self._background = None

    def invalidate(self) -> None:
        self._background = None

    def render(self) -> bytes:
        """The figure as PNG bytes, redrawing only what changed."""
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self.dynamic:
            artist.axes.draw_artist(artist)
        buf = io.BytesIO()
        width, height = self.canvas.get_width_height()
        Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba()).save(
            buf, format="png", compress_level=1
        )
        return buf.getvalue()

    def export_png(self, dpi: float = 150) -> bytes:
        """A full-quality PNG for a report (every artist drawn, higher resolution)."""
        for artist in self.dynamic:
            artist.set_animated(False)
        try:
            return png(self.fig, dpi)
        finally:
            for artist in self.dynamic:
                artist.set_animated(True)
            self.invalidate()


# ---------------------------------------------------------------------- neighbourhood
def building_layout(model: CommunityModel) -> dict[str, np.ndarray]:
    """Buildings as tiles: compounds are blocks in a grid, their buildings rows inside.

    Returns tile corners (x, y), each building's compound and grid, and compound boxes.
    """
    nb, nc = model.n_buildings, model.n_compounds
    b_compound = np.zeros(nb, dtype=int)
    b_compound[model.building] = model.compound
    b_grid = np.zeros(nb, dtype=int)
    b_grid[model.building] = grid_ids(model)
    per_c = np.bincount(b_compound, minlength=nc)
    cols_b = max(1, int(np.ceil(np.sqrt(per_c.max() * 1.5))))
    rows_b = max(1, int(np.ceil(per_c.max() / cols_b)))
    cols_c = max(1, int(np.ceil(np.sqrt(nc * rows_b / cols_b * 1.4))))
    order = np.argsort(b_compound, kind="stable")
    rank = np.empty(nb, dtype=int)
    first = np.concatenate(([0], np.cumsum(per_c)[:-1]))
    rank[order] = np.arange(nb) - first[b_compound[order]]
    cx, cy = b_compound % cols_c, b_compound // cols_c
    x = cx * (cols_b + 1) + rank % cols_b
    y = -(cy * (rows_b + 1) + rank // cols_b)
    boxes = np.array(
        [(c % cols_c * (cols_b + 1), -(c // cols_c * (rows_b + 1))) for c in range(nc)]
    )
    return {"x": x, "y": y, "compound": b_compound, "grid": b_grid, "boxes": boxes,
            "size": np.array([cols_b, rows_b])}  # fmt: skip


def building_values(model: CommunityModel, colour_by: str) -> np.ndarray:
    """Mean efficacy, or the share who took part in the last four weeks, per building."""
    values = model.recent_participation() if colour_by == "participation" else model.efficacy
    sums = np.bincount(model.building, weights=values, minlength=model.n_buildings)
    counts = np.bincount(model.building, minlength=model.n_buildings)
    return sums / np.maximum(counts, 1)


#: Party events: about residents' needs (blue) or not (orange: staged); Okabe–Ito.
RELEVANT_COLOUR, STAGED_COLOUR = OKABE_ITO[0], OKABE_ITO[1]
COMMITTEE_COLOUR = "#B00020"
NO_EVENT = (1.0, 1.0, 1.0, 1.0)  # a branch that held no meeting: a hollow flag

#: A flag on its pole, the pole's foot at (0, 0): the mark of a Party branch or committee.
FLAG = Path(
    [(-0.09, 0), (0.09, 0), (0.09, 1.0), (1.25, 1.0), (1.25, 1.9), (-0.09, 1.9), (-0.09, 0)],
    closed=True,
)


def _flag_size(points: float) -> float:
    """Scatter size (points²) of a flag ``points`` tall: a marker path is scaled so its
    largest coordinate (the flag's top, 1.9) lies at half the marker's width, √size."""
    return (2 * points) ** 2


def party_events(model: CommunityModel) -> dict[str, np.ndarray | float]:
    """This week's Party events as the neighbourhood view shows them.

    Per compound: whether its branch held a meeting, and whether it was about residents'
    needs; the buildings whose activity the branch held, and whether each was; the
    committee's joint meetings and the cases it put to the departments. Before the first
    week (no burn-in) nothing has been held.
    """
    nc = model.n_compounds
    none = np.zeros(0, dtype=np.int64)
    held = np.asarray(getattr(model, "activity_held", none), dtype=np.int64)
    m = model.measures
    return {
        "meeting": np.asarray(getattr(model, "meeting_held", np.zeros(nc, bool)), dtype=bool),
        "meeting_relevant": np.asarray(
            getattr(model, "meeting_relevant", np.zeros(nc, bool)), dtype=bool
        ),
        "activity": held,
        "activity_relevant": np.asarray(
            getattr(model, "activity_relevant", np.zeros(held.size, bool)), dtype=bool
        ),
        "committee_meetings": float(m.get("committee_meetings", 0.0)),
        "cases_put": float(m.get("cases_escalated_by_committee", 0.0)),
    }


class NeighbourhoodView(Blitted):
    """Buildings as tiles grouped by compound, coloured by efficacy or participation, with
    the three Party tiers and the grid workers marked:

    * Party groups (党小组): the members in each building (dots, sized by number);
    * the compound Party branch (党支部): a flag on each compound's corner, filled when it
      held a meeting this week – blue when the meeting was about residents' needs, orange
      when staged – and an outline, in the same colours, on each building whose activity
      it held this week;
    * the community Party committee (社区党委): a flag and a line under the title saying
      whether it held a joint meeting (联席会议) this week and how many cases it put to the
      departments.

    One tile per building keeps 10,000 households (250 buildings) legible, where a drawing
    of every resident and tie is a grey hairball.
    """

    def __init__(self, model: CommunityModel, lang: str) -> None:
        lang = chart_lang(lang)
        self.lang = lang
        lay = building_layout(model)
        # as tall as the tiles need (no empty band above a wide, flat community)
        span_x, span_y = np.ptp(lay["x"]) + 1.9, np.ptp(lay["y"]) + 2.5
        height = float(np.clip(0.8 * 6.4 * span_y / span_x + 1.55, 3.2, 6.6))
        self.fig = Figure(figsize=(6.4, height), dpi=100)
        # room for the legend (three rows) below, the title and the committee's line above
        bottom, top = 0.85 / height, 0.62 / height
        ax = self.fig.add_axes((0.02, bottom, 0.80, 1 - bottom - top))
        cols_b, rows_b = lay["size"]
        for bx, by in lay["boxes"]:  # compound blocks behind their buildings
            ax.add_patch(
                patches.Rectangle(
                    (bx - 0.2, by - rows_b + 0.8), cols_b + 0.3, rows_b + 0.3,
                    facecolor="#EEEEEE", edgecolor="#888888", linewidth=0.8,
                )
            )  # fmt: skip
        x, y = lay["x"], lay["y"]
        tiles = np.stack(
            [np.column_stack([x, y]), np.column_stack([x + 0.9, y]),
             np.column_stack([x + 0.9, y + 0.9]), np.column_stack([x, y + 0.9])], axis=1,
        )  # fmt: skip
        # an activity's outline lies in the gap around its tile, off the tile's colour
        self.outlines = tiles + np.array([[-0.05, -0.05], [0.05, -0.05], [0.05, 0.05],
                                          [-0.05, 0.05]])  # fmt: skip
        self.tiles = PolyCollection(tiles, cmap="viridis", edgecolors="white", linewidths=0.3)
        self.tiles.set_clim(0, 1)
        ax.add_collection(self.tiles)
        ax.set_xlim(x.min() - 0.5, x.max() + 1.4)
        ax.set_ylim(y.min() - 0.5, y.max() + 2.0)  # the flags stand above the top row
        ax.set_aspect("equal")
        ax.axis("off")
        # sizes follow the tiles: one layout unit in points, as the axes are drawn
        box = ax.get_position()
        unit = min(box.width * 6.4 / np.diff(ax.get_xlim())[0],
                   box.height * height / np.diff(ax.get_ylim())[0]) * 72  # fmt: skip
        # the branch's activities this week: an outline on those buildings' tiles
        self.activities = PolyCollection(
            np.zeros((0, 4, 2)), facecolors="none", linewidths=float(np.clip(unit / 9, 1.0, 2.2))
        )
        ax.add_collection(self.activities, autolim=False)
        party = np.bincount(model.building[model.party], minlength=model.n_buildings)
        has = party > 0
        party_dots = ax.scatter(
            x[has] + 0.72, y[has] + 0.72, s=4 + 6 * np.sqrt(party[has]), c=OKABE_ITO[3],
            edgecolors="white", linewidths=0.4, zorder=3,
        )  # fmt: skip
        gx = np.bincount(lay["grid"], weights=x + 0.45) / np.maximum(np.bincount(lay["grid"]), 1)
        gy = np.bincount(lay["grid"], weights=y + 0.45) / np.maximum(np.bincount(lay["grid"]), 1)
        workers = ax.scatter(
            gx, gy, marker="D", s=36, c="black", edgecolors="white", linewidths=0.8, zorder=4
        )
        # each compound's branch: a flag at the box's top-left corner, above the box
        corner = lay["boxes"] + np.array([-0.2 + 0.12, 1.1])
        self.branches = ax.scatter(
            corner[:, 0], corner[:, 1], marker=FLAG, s=_flag_size(min(0.8 * unit, 16)),
            facecolors="white", edgecolors="#333333", linewidths=0.6, zorder=5, clip_on=False,
        )  # fmt: skip
        self.ax = ax
        self.fig.text(0.42, 1 - 0.17 / height, t("network_title", lang), fontsize=11,
                      ha="center", va="center")  # fmt: skip
        # the community's committee: a flag and a line under the title, top left
        band = self.fig.add_axes((0.02, 1 - top + 0.02 / height, 0.96, 0.26 / height))
        band.set_xlim(0, 0.96 * 6.4)  # inches, so the flag sits a fixed distance from the text
        band.set_ylim(0, 1)
        band.axis("off")
        self.committee = band.scatter(
            [0.06], [0.12], marker=FLAG, s=_flag_size(13), facecolors="white",
            edgecolors="#333333", linewidths=0.8, clip_on=False,
        )  # fmt: skip
        # fixed labels drawn once; only the two short answers are drawn each week (text
        # costs ~0.1 ms a character)
        self.committee_fields = self._committee_line(band, 0.3)
        self.cax = self.fig.add_axes((0.86, bottom + 0.05, 0.03, 1 - bottom - top - 0.1))
        self.colorbar = self.fig.colorbar(self.tiles, cax=self.cax)

        def flag(face, edge="#333333"):
            return Line2D([], [], ls="", marker=FLAG, markersize=18, markerfacecolor=face,
                          markeredgecolor=edge, markeredgewidth=0.6)  # fmt: skip

        def outline(colour):
            return patches.Patch(facecolor="none", edgecolor=colour, linewidth=1.6)

        entries = [
            (Line2D([], [], ls="", marker="o", color=OKABE_ITO[3]), t("party_member", lang)),
            (Line2D([], [], ls="", marker="D", color="black"), t("grid_worker", lang)),
            (patches.Patch(facecolor="#EEEEEE", edgecolor="#888888"), t("compound", lang)),
            ((flag(RELEVANT_COLOUR), flag(STAGED_COLOUR)), t("branch_meeting", lang)),
            (flag("white"), t("branch_no_meeting", lang)),
            ((outline(RELEVANT_COLOUR), outline(STAGED_COLOUR)), t("branch_activity", lang)),
            (patches.Patch(color=RELEVANT_COLOUR), t("event_relevant", lang)),
            (patches.Patch(color=STAGED_COLOUR), t("event_staged", lang)),
        ]
        ax.legend(
            handles=[h for h, _ in entries], labels=[label for _, label in entries],
            handler_map={tuple: HandlerTuple(ndivide=None, pad=0.3)},
            loc="upper center", bbox_to_anchor=(0.5, bottom - 0.02 / height), ncol=3,
            bbox_transform=self.fig.transFigure, fontsize=8.5, frameon=False,
            columnspacing=1.0, handletextpad=0.5, borderaxespad=0,
        )  # fmt: skip
        self.colour_by = None
        self._blit_init([self.tiles, self.activities, party_dots, workers, self.branches,
                         self.committee, *self.committee_fields])  # fmt: skip

    def _committee_line(self, band, x: float) -> tuple:
        """The committee's line ("Community Party committee – joint meeting this week: yes;
        cases put to departments: 38"): labels placed once, after the widest answer (inches);
        returns the two answers' texts."""
        renderer = FigureCanvasAgg(self.fig).get_renderer()
        style = {"va": "center", "ha": "left", "fontsize": 9, "color": "#1f2328"}

        def width(text) -> float:
            return text.get_window_extent(renderer).width / self.fig.dpi

        def put(text: str) -> None:
            nonlocal x
            x += width(band.text(x, 0.45, text, **style))

        put(t("committee_meeting", self.lang))
        x += 0.04
        held = band.text(x, 0.45, "", **style)
        widths = []
        for key in ("committee_held", "committee_not_held"):
            held.set_text(t(key, self.lang))
            widths.append(width(held))
        x += max(widths)
        put(t("committee_cases", self.lang))
        x += 0.04
        cases = band.text(x, 0.45, "", **style)
        return held, cases

    def update(self, model: CommunityModel, colour_by: str) -> Figure:
        self.tiles.set_array(building_values(model, colour_by))
        events = party_events(model)
        faces = np.tile(NO_EVENT, (model.n_compounds, 1))
        faces[events["meeting"]] = to_rgba(STAGED_COLOUR)
        faces[events["meeting"] & events["meeting_relevant"]] = to_rgba(RELEVANT_COLOUR)
        self.branches.set_facecolors(faces)
        held = events["activity"]
        self.activities.set_verts(self.outlines[held])
        self.activities.set_edgecolors(
            np.where(events["activity_relevant"][:, None], to_rgba(RELEVANT_COLOUR),
                     to_rgba(STAGED_COLOUR)) if held.size else "none"
        )  # fmt: skip
        met = events["committee_meetings"] > 0
        self.committee.set_facecolors(COMMITTEE_COLOUR if met else "white")
        answer, cases = self.committee_fields
        answer.set_text(t("committee_held" if met else "committee_not_held", self.lang))
        cases.set_text(f"{events['cases_put']:,.0f}")
        if colour_by != self.colour_by:
            key = "share_took_part" if colour_by == "participation" else "efficacy"
            self.colorbar.set_label(t(key, self.lang), fontsize=9)
            self.colour_by = colour_by
            self.invalidate()
        return self.fig


# ---------------------------------------------------------------------- weekly charts
def nice_ceiling(x: float) -> float:
    """The next of 1, 2, 2.5, 5 × 10ⁿ at or above ``x`` (at least 1)."""
    if x <= 1:
        return 1.0
    power = 10 ** np.floor(np.log10(x))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= x))


def share_ceiling(x: float) -> float:
    """The next of 1, 2, 2.5, 5 × 10ⁿ at or above the share ``x``, at most 1 (a whole axis
    for nothing to show)."""
    if not np.isfinite(x) or x <= 0 or x >= 1:
        return 1.0
    power = 10 ** np.floor(np.log10(x))
    return float(min(1.0, next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= x)))


def _marker(ax, week: int | None, lang: str) -> None:
    if week is not None:
        ax.axvline(week, color=MARKER_COLOUR, ls=":", lw=1.5,
                   label=t("reform_marker", lang, week=week))  # fmt: skip


class ChartView(Blitted):
    """One weekly chart, drawn once; each week only the lines get new data."""

    CHARTS = {
        "groups": (
            ("participation_rate", "all_residents", "black", "-", 0),
            *((f"participation_rate_{g}", g, c, "-", 0) for c, g in zip(OKABE_ITO, GROUP_SERIES)),
        ),
        "closure": (
            ("completion_rate", "completion", OKABE_ITO[0], "-", 0),
            ("satisfaction_rate", "satisfaction", OKABE_ITO[1], "-", 0),
            ("resolution_rate", "resolution", OKABE_ITO[2], "--", 0),
        ),
        "service": (
            ("response_time_mean", "response_time", OKABE_ITO[3], "-", 0),
            ("backlog", "backlog", OKABE_ITO[4], "-", 1),
        ),
    }
    TITLES = {"groups": "chart_groups", "closure": "chart_closure", "service": "chart_service"}
    LOWEST_SHARE = 0.1  # the participation chart's first ceiling

    def __init__(self, kind: str, lang: str, horizon: int, marker: int | None) -> None:
        lang = chart_lang(lang)
        self.kind = kind
        self.fig = Figure(figsize=(6.4, 3.0), dpi=100)
        self.fig.subplots_adjust(left=0.1, right=0.57 if kind == "service" else 0.7,
                                 top=0.88, bottom=0.16)  # fmt: skip
        ax = self.fig.add_subplot()
        axes = [ax, ax.twinx()] if kind == "service" else [ax]
        self.axes = axes
        self.lines = {}
        for col, key, colour, style, i in self.CHARTS[kind]:
            (self.lines[col],) = axes[i].plot(
                [], [], color=colour, ls=style, lw=2.2 if col == "participation_rate" else 1.4,
                label=t(key, lang),
            )  # fmt: skip
        _marker(ax, marker, lang)
        ax.set_title(t(self.TITLES[kind], lang), fontsize=11)
        ax.set_xlim(0, horizon)
        ax.set_xlabel(t("week", lang))
        # the same week ticks on every chart, however wide its plot
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=8, steps=[1, 2, 5, 10], integer=True))
        if kind == "service":
            for a in axes:
                a.set_ylim(0, 1)
            ax.set_ylabel(t("response_time", lang), fontsize=9, color=OKABE_ITO[3])
            axes[1].set_ylabel(t("backlog", lang), fontsize=9, color=OKABE_ITO[4])
        else:  # participation rises from a tenth as needed (a few percent fill no axis)
            ax.set_ylim(0, self.LOWEST_SHARE if kind == "groups" else 1)
            ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
        handles = [h for a in axes for h in a.get_legend_handles_labels()[0]]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.24 if kind == "service"
                  else 1.02, 1.0), fontsize=9, frameon=False)  # fmt: skip
        self._blit_init(list(self.lines.values()))

    def update(self, frame: pd.DataFrame) -> Figure:
        weeks = frame["week"].to_numpy()
        for col, line in self.lines.items():
            line.set_data(weeks, frame[col] if col in frame else np.zeros(len(frame)))
        if self.kind in ("service", "groups"):
            for i, a in enumerate(self.axes):  # the background is redrawn only when it rises
                ys = [frame[c].to_numpy() for c, _, _, _, j in self.CHARTS[self.kind]
                      if j == i and c in frame and len(frame)]  # fmt: skip
                top = max((float(np.nanmax(y)) for y in ys), default=0.0) * 1.15
                if self.kind == "service":
                    ceiling = nice_ceiling(top)
                else:  # nothing to show yet: the first ceiling stays
                    ceiling = share_ceiling(top) if top > 0 else 0.0
                if ceiling > a.get_ylim()[1]:
                    a.set_ylim(0, ceiling)
                    self.invalidate()
        return self.fig


def draw_comparison(runs: pd.DataFrame, labels: dict[str, str], lang: str,
                    marker: int | None) -> Figure:  # fmt: skip
    lang = chart_lang(lang)
    fig = Figure(figsize=(7.0, 5.2), dpi=100)
    axes = fig.subplots(2, 1, sharex=True)
    for ax, metric, key in zip(
        axes, ("participation_rate", "satisfaction_rate"), ("participation", "satisfaction")
    ):
        bands = comparison_bands(runs, metric)
        for colour, role in zip(OKABE_ITO, ("chosen", "other")):
            b = bands[bands.scenario == role]
            ax.plot(b.week, b["mean"], color=colour, label=labels[role])
            ax.fill_between(b.week, b.lo, b.hi, color=colour, alpha=0.25, linewidth=0)
        _marker(ax, marker, lang)
        ax.set_ylabel(t(key, lang))
        # from zero, up to a little above the highest band: a share of 5 % against 7 % on a
        # 0–100 % axis reads as two flat lines
        top = float(np.nanmax(bands.hi)) if len(bands) else 1.0
        ax.set_ylim(0, share_ceiling(top * 1.15))
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
    axes[0].set_title(t("compare_title", lang, n=runs.attrs["replicates"]), fontsize=11)
    axes[1].set_xlabel(t("week", lang))
    axes[1].set_xlim(0, runs.week.max())
    fig.subplots_adjust(left=0.12, right=0.97, top=0.93, bottom=0.2, hspace=0.12)
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3, fontsize=9,
                   frameon=False)  # fmt: skip
    return fig
