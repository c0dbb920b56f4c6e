"""The social network as a Mesa discrete space, built on request for Mesa's own tools.

The model keeps its network as a sparse adjacency (``model.adjacency``) because that is what
the weekly step multiplies. Mesa's visualisation (``make_space_component``) and other Mesa
code expect a space instead: they look up ``model.grid``, then ``model.space``. This module
builds a :class:`mesa.discrete_space.Network` from the same graph with one cell per
household and each resident placed in its cell (``resident.cell``). It is built on first use
and only for small communities: at tens of thousands of residents the graph, the cells and
the drawing would cost far more than the model itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesa.discrete_space import Network

    from .model import CommunityModel

#: Largest community offered as a Mesa space (a drawing of more nodes is unreadable anyway).
MAX_SPACE_RESIDENTS = 5_000
#: Above this size cells get no physical position (``layout=None``): a spring layout of
#: the whole graph at construction would take longer than building the model.
MAX_LAYOUT_RESIDENTS = 1_000


def spring_layout(graph) -> dict[int, Any]:
    """A reproducible spring layout (fixed seed, so the picture does not jump between runs)."""
    import networkx as nx

    return nx.spring_layout(graph, seed=0)


def network_space(model: CommunityModel, layout: Any = "auto") -> Network:
    """The model's social network as a Mesa ``Network`` space with residents in its cells.

    Built once per model and cached. ``layout`` is passed to Mesa's ``Network``: ``"auto"``
    gives a seeded spring layout up to :data:`MAX_LAYOUT_RESIDENTS` residents and none
    (a purely topological network) above.
    """
    space = model.__dict__.get("_network_space")
    if space is not None:
        return space
    if model.n > MAX_SPACE_RESIDENTS:
        raise ValueError(
            f"the network of {model.n} residents is too large to offer as a Mesa space "
            f"(at most {MAX_SPACE_RESIDENTS}); use model.adjacency or model.graph() instead"
        )
    from mesa.discrete_space import Network

    if isinstance(layout, str) and layout == "auto":
        layout = spring_layout if model.n <= MAX_LAYOUT_RESIDENTS else None
    space = Network(model.graph(), capacity=1, random=model.random, layout=layout)
    for resident in model.residents:  # node i is resident i: one household per cell
        cell = space[resident.index]
        cell.add_agent(resident)
        resident.cell = cell
    model.__dict__["_network_space"] = space
    return space
