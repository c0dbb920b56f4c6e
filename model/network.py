"""The neighbourhood: community (社区) → compounds (小区) → buildings (楼栋) → households.

Residents are numbered so that each building, and each compound, is a contiguous range of
indices; the social network is kept as a symmetric CSR adjacency (``scipy.sparse``) that the
model multiplies in bulk. A networkx graph is built only on request (:func:`to_networkx`),
because at a million residents it would cost gigabytes.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

__all__ = [
    "NetworkFileError",
    "Neighbourhood",
    "ATTRIBUTE_PARAMS",
    "FILE_ATTRIBUTES",
    "generate",
    "load_network_file",
    "read_network_file",
    "to_networkx",
]

#: The parameters a network file's node attribute replaces (they then have no effect).
ATTRIBUTE_PARAMS = {
    "age_group": ("retired_share", "youth_share"),
    "low_income": ("low_income_share",),
    "party": ("party_share",),
    "employed": ("employed_share", "low_income_employment"),
}

#: Node attributes read from a user's network file, and what each may hold.
FILE_ATTRIBUTES = {
    "building": "any label; residents with the same label share a building (楼栋)",
    "compound": "any label; buildings with the same label form a compound (小区)",
    "age_group": "'youth', 'working' or 'retired'",
    "low_income": "true/false or 1/0: a low-income (低保) household",
    "party": "true/false or 1/0: a Party member (党员)",
    "employed": "true/false or 1/0",
}
AGE_CODES = {"youth": 0, "working": 1, "retired": 2}


class NetworkFileError(ValueError):
    """A network file that is missing or cannot be used; the message names file and cause."""


@dataclass
class Neighbourhood:
    """Where everyone lives and who knows whom."""

    building: np.ndarray  # int32, one per resident, contiguous and sorted
    compound: np.ndarray  # int32, compound of each resident
    adjacency: sp.csr_array  # symmetric 0/1 float32, no self-ties
    #: Resident attributes supplied by a network file (name → array), if any.
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    #: Original node labels of a file network, by resident index.
    node_labels: list | None = None

    @property
    def n(self) -> int:
        return int(self.building.shape[0])


def nested_layout(n: int, building_size: int, buildings_per_compound: int):
    """Assign residents to buildings and buildings to compounds in index order."""
    building = (np.arange(n, dtype=np.int64) // building_size).astype(np.int32)
    compound = (building // buildings_per_compound).astype(np.int32)
    return building, compound


def group_bounds(groups: np.ndarray):
    """Start index and size of each contiguous group id 0..G-1."""
    sizes = np.bincount(groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return starts, sizes


def _sample_level(rng, groups, subgroups, k):
    """Edges inside each group but outside each subgroup, about ``k`` per resident.

    A stochastic block model sampled edge by edge: each group draws a Poisson number of
    uniformly random pairs, so the cost is proportional to the number of edges, not to the
    number of pairs. Pairs that fall inside one subgroup (or are self-pairs) are dropped, and
    the edge count is raised to make up for them.
    """
    if k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    starts, sizes = group_bounds(groups)
    if subgroups is None:
        same = sizes.astype(float)  # only self-pairs are dropped
    else:
        # expected share of random pairs that land in the same subgroup
        sub_sizes = np.bincount(subgroups).astype(float)
        sub_group = groups[np.concatenate(([0], np.cumsum(np.bincount(subgroups))[:-1]))]
        same = np.bincount(sub_group, weights=sub_sizes**2, minlength=sizes.size)
    sizes_f = sizes.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(sizes_f > 0, 1.0 - same / np.maximum(sizes_f, 1) ** 2, 0.0)
        lam = np.where(keep > 1e-9, sizes_f * k / 2.0 / keep, 0.0)
    m = rng.poisson(lam)
    g = np.repeat(np.arange(sizes.size), m)
    u = starts[g] + (rng.random(g.size) * sizes[g]).astype(np.int64)
    v = starts[g] + (rng.random(g.size) * sizes[g]).astype(np.int64)
    ok = u != v
    if subgroups is not None:
        ok &= subgroups[u] != subgroups[v]
    return u[ok], v[ok]


def nested_sbm_edges(rng, building, compound, k_building, k_compound, k_community):
    """Nested stochastic block model: dense in buildings, sparser in compounds, few across."""
    community = np.zeros_like(building)
    parts = [
        _sample_level(rng, building, None, k_building),
        _sample_level(rng, compound, building, k_compound),
        _sample_level(rng, community, compound, k_community),
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def watts_strogatz_edges(rng, n, k, p):
    """Small-world ring over residents in building order (networkx)."""
    k = min(k, n - 1 - (n - 1) % 2) if n > 2 else 0
    g = nx.watts_strogatz_graph(n, k, p, seed=int(rng.integers(2**31)))
    e = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
    return e[:, 0], e[:, 1]


def adjacency_from_edges(n: int, u: np.ndarray, v: np.ndarray) -> sp.csr_array:
    """Symmetric, deduplicated 0/1 adjacency without self-ties."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    ok = u != v
    lo, hi = np.minimum(u[ok], v[ok]), np.maximum(u[ok], v[ok])
    key = np.sort(lo * n + hi)  # sort-and-mask: np.unique's hashing is ~10× slower here
    first = np.ones(key.size, dtype=bool)  # each tie once (and no ties at all is a network)
    first[1:] = key[1:] != key[:-1]
    key = key[first]
    index = np.int32 if max(n, 2 * key.size) < 2**31 else np.int64  # as scipy would choose
    lo, hi = (key // n).astype(index), (key % n).astype(index)
    # both directions, grouped by row with a stable sort: within a row the lower neighbours
    # come first and each half is already ascending, so the indices are sorted (canonical
    # CSR, as scipy's own conversion gives, without its two passes)
    rows, cols = np.concatenate([hi, lo]), np.concatenate([lo, hi])
    indptr = np.zeros(n + 1, dtype=index)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    cols = cols[np.argsort(rows, kind="stable")]
    return sp.csr_array((np.ones(cols.size, np.float32), cols, indptr), shape=(n, n))


def ties_of(adjacency: sp.csr_array, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every tie of the residents ``idx``, flat: (the tied resident, position in ``idx``)."""
    start = adjacency.indptr[idx]
    length = adjacency.indptr[idx + 1] - start
    of = np.repeat(np.arange(idx.size), length)
    # each tie's place in the flat array: its row's start plus its rank within the row
    pos = np.arange(of.size) + np.repeat(start - (np.cumsum(length) - length), length)
    return adjacency.indices[pos], of


#: A product over at least this many ties runs in a worker thread beside the week's other
#: stages; a smaller one takes less time than handing it over (a performance setting, no
#: effect on results).
BACKGROUND_TIES = 200_000
_pool: tuple[int, ThreadPoolExecutor] | None = None  # (the process that made it, the pool)


def _worker() -> ThreadPoolExecutor:
    """This process's one worker thread for tie products (a forked child makes its own)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="civicloop-ties"))
    return _pool[1]


def _product(matrix: sp.csr_array, values: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    product = matrix @ values
    return product if scale is None else product * scale


class Alongside:
    """``matrix @ values`` (times ``scale``, element by element, if given) of the values as
    they are now, read later with :meth:`result`.

    On a large network the product runs in a worker thread while the main thread goes on
    with the week (scipy's sparse product releases the GIL): the same arithmetic on a copy,
    so the result is bit-identical to computing it at once.
    """

    def __init__(
        self, matrix: sp.csr_array, values: np.ndarray, scale: np.ndarray | None = None
    ) -> None:
        self._job: Future | None = None
        if matrix.nnz >= BACKGROUND_TIES:
            try:
                self._job = _worker().submit(_product, matrix, values.copy(), scale)
                return
            except RuntimeError:  # the interpreter is exiting and has shut the pool: inline
                pass
        self._value = _product(matrix, values, scale)

    def result(self) -> np.ndarray:
        if self._job is not None:
            self._value, self._job = self._job.result(), None
        return self._value


def generate(rng: np.random.Generator, params: dict) -> Neighbourhood:
    """Build the neighbourhood from parameters: a file if given, else a generated network."""
    if params["network_file"]:
        return load_network_file(params)
    n = params["n_residents"]
    building, compound = nested_layout(n, params["building_size"], params["buildings_per_compound"])
    if params["network_kind"] == "watts_strogatz":
        u, v = watts_strogatz_edges(rng, n, params["ws_k"], params["ws_p"])
    else:
        u, v = nested_sbm_edges(
            rng,
            building,
            compound,
            params["ties_building"],
            params["ties_compound"],
            params["ties_community"],
        )
    return Neighbourhood(building, compound, adjacency_from_edges(n, u, v))


def load_network_file(params: dict) -> Neighbourhood:
    """Read ``params["network_file"]`` for a model: as :func:`read_network_file`, and the
    community must be at least as large as the smallest ``n_residents`` allowed."""
    from .params import PARAMS

    path = params["network_file"]
    hood = read_network_file(path, params["building_size"], params["buildings_per_compound"])
    minimum = int(PARAMS["n_residents"].low)
    if hood.n < minimum:
        raise NetworkFileError(
            f"{path}: the network has {hood.n} households; a community needs at least "
            f"{minimum} (the smallest n_residents allowed)"
        )
    return hood


_HEADERS = {("source", "target"), ("src", "dst"), ("from", "to"), ("u", "v"), ("node1", "node2")}


def _read_edge_lines(path: Path, delimiter: str | None) -> list[tuple[str, str]]:
    """Two node labels per line; ``#`` starts a comment; a first line like ``source,target``
    is taken as a header, and so is a first line of words above lines of numbers (``from_id,
    to_id``). Labels may be quoted (``"0","34"``, as R and pandas write them); a byte-order
    mark (Excel's "CSV UTF-8") is ignored. Anything else is an error that names the line."""
    edges: list[tuple[str, str]] = []
    first_line = None
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            fields = [_unquote(f.strip()) for f in text.split(delimiter)]
            if len(fields) != 2 or not all(fields):
                sep = {",": "a comma", "\t": "a tab"}.get(delimiter, "whitespace")
                raise NetworkFileError(
                    f"{path}, line {number}: expected two node labels separated by {sep}, "
                    f"got {text!r}"
                )
            if not edges and first_line is None:
                first_line = number
                if tuple(f.lower() for f in fields) in _HEADERS:
                    continue
            if fields[0] == fields[1]:
                raise NetworkFileError(
                    f"{path}, line {number}: node {fields[0]!r} is tied to itself; a tie "
                    "joins two different households"
                )
            edges.append((fields[0], fields[1]))
    words_above_numbers = (
        len(edges) > 1
        and not any(map(_numeric, edges[0]))
        and all(_numeric(x) for edge in edges[1:] for x in edge)
    )
    if words_above_numbers:
        edges = edges[1:]  # a header
    return edges


def _unquote(label: str) -> str:
    return label[1:-1].strip() if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _numeric(label: str) -> bool:
    try:
        float(label)
    except ValueError:
        return False
    return True


_GRAPHML_BOOLEANS = ("true", "false", "1", "0")  # what networkx's GraphML reader accepts


def _check_graphml(path: Path) -> None:
    """Refuse edges to nodes the file never declares (networkx would invent them), and
    boolean values networkx cannot read (it reports only the bad word)."""
    import xml.etree.ElementTree as ET

    declared, missing, booleans = set(), {}, {}
    try:
        events = ET.iterparse(path, events=("end",))
        for _, elem in events:
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "key" and elem.get("attr.type") == "boolean":
                name = booleans[elem.get("id")] = elem.get("attr.name") or elem.get("id")
                for default in elem:
                    _check_boolean(path, f"key {name!r} has the default", name, default.text)
            if tag in ("node", "edge"):
                where = (
                    f"node {elem.get('id')!r}"
                    if tag == "node"
                    else f"the tie {elem.get('source')!r}–{elem.get('target')!r}"
                )
                for data in elem:
                    if data.get("key") in booleans:
                        name = booleans[data.get("key")]
                        _check_boolean(path, f"{where} has", name, data.text)
            if tag == "node":
                declared.add(elem.get("id"))
            elif tag == "edge":
                for end in (elem.get("source"), elem.get("target")):
                    missing.setdefault(end, len(missing))
            if tag in ("node", "edge"):
                elem.clear()
    except ET.ParseError:
        return  # malformed XML: networkx's own message says where
    undeclared = sorted((k for k in missing if k not in declared), key=missing.get)
    if undeclared:
        shown = ", ".join(repr(x) for x in undeclared[:5])
        more = f" and {len(undeclared) - 5} more" if len(undeclared) > 5 else ""
        raise NetworkFileError(
            f"{path}: edges refer to {len(undeclared)} node(s) that are not declared as "
            f"<node>: {shown}{more}; declare every household as a node"
        )


def _check_boolean(path: Path, where: str, name: str, text: str | None) -> None:
    """Refuse a value of a boolean GraphML key that networkx cannot read (it would report
    only the bad word)."""
    if text is not None and text.lower() not in _GRAPHML_BOOLEANS:
        raise NetworkFileError(
            f"{path}: {where} {name}={text!r}, but that key is declared "
            'attr.type="boolean": GraphML booleans are true/false or 1/0'
        )


def _as_bool(path, node, name, value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "1.0"):
        return True
    if text in ("false", "0", "no", "0.0", ""):
        return False
    raise NetworkFileError(
        f"{path}: node {node!r} has {name}={value!r}; expected true/false or 1/0"
    )


def _codes(labels: list) -> np.ndarray:
    """Map arbitrary labels to 0..K-1 in order of first appearance."""
    index: dict = {}
    return np.array([index.setdefault(x, len(index)) for x in labels], dtype=np.int64)


def read_network_file(path, building_size: int = 40, buildings_per_compound: int = 10):
    """Read a GraphML or edge-list network; see :data:`FILE_ATTRIBUTES` for node attributes.

    Missing ``building`` / ``compound`` attributes fall back to chunks of
    ``building_size`` residents and ``buildings_per_compound`` buildings in node order.
    Residents are renumbered so that each building is a contiguous range.
    """
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(f"network file {str(path)!r} does not exist or is not a file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".graphml", ".xml"):
            _check_graphml(path)
            g = nx.read_graphml(path)
        elif suffix in (".edgelist", ".edges", ".txt", ".csv", ".tsv"):
            delimiter = {".csv": ",", ".tsv": "\t"}.get(suffix)  # else any whitespace
            g = nx.Graph(_read_edge_lines(path, delimiter))
        else:
            raise NetworkFileError(
                f"{path}: unknown network format {suffix!r}; use .graphml, .edgelist, "
                ".edges, .txt, .csv or .tsv"
            )
    except NetworkFileError:
        raise
    except Exception as exc:  # networkx raises many kinds on malformed input
        raise NetworkFileError(f"{path}: cannot read the network ({exc})") from exc
    if g.is_directed():
        raise NetworkFileError(
            f'{path}: the network is directed (GraphML edgedefault="directed"), but ties '
            'between households are mutual here; write it with edgedefault="undirected" '
            "(networkx: save an nx.Graph, not a DiGraph)"
        )
    loops = sorted({str(u) for u, _ in nx.selfloop_edges(g)})
    if loops:
        shown = ", ".join(map(repr, loops[:5])) + (", …" if len(loops) > 5 else "")
        raise NetworkFileError(
            f"{path}: {len(loops)} node(s) are tied to themselves ({shown}); a tie joins two "
            "different households"
        )
    for d in (g.nodes[x] for x in g.nodes()):  # a GraphML key's <default> (yEd, Gephi)
        for name, value in g.graph.get("node_default", {}).items():
            d.setdefault(name, value)
    nodes = list(g.nodes())
    n = len(nodes)
    if n < 2:
        raise NetworkFileError(f"{path}: the network has {n} node(s); at least 2 are needed")
    data = [g.nodes[x] for x in nodes]
    if all("building" in d for d in data):
        building = _codes([d["building"] for d in data])
    elif any("building" in d for d in data):
        missing = next(x for x, d in zip(nodes, data) if "building" not in d)
        raise NetworkFileError(f"{path}: node {missing!r} has no 'building' attribute")
    else:
        building = np.arange(n) // building_size
    if all("compound" in d for d in data):
        compound_of = _codes([d["compound"] for d in data])
        # one compound per building: the first seen wins, conflicts are an error
        first = {}
        for node, b, c, d in zip(nodes, building, compound_of, data):
            if first.setdefault(b, c) != c:
                where = (
                    f"building {d['building']!r}"
                    if "building" in d
                    else f"the fallback building of node {node!r} ({building_size} nodes in "
                    "file order; add a 'building' attribute)"
                )
                raise NetworkFileError(f"{path}: {where} lies in two compounds")
        compound = compound_of
    else:
        compound = building // buildings_per_compound
    order = np.lexsort((np.arange(n), building, compound))
    # renumber buildings and compounds contiguously in the new order
    b_sorted, c_sorted = building[order], compound[order]
    new_b = np.concatenate(([0], np.cumsum((np.diff(b_sorted) != 0) | (np.diff(c_sorted) != 0))))
    new_c = np.concatenate(([0], np.cumsum(np.diff(c_sorted) != 0)))
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    idx = {x: i for i, x in enumerate(nodes)}
    e = np.array([(idx[a], idx[b]) for a, b in g.edges()], dtype=np.int64).reshape(-1, 2)
    attributes: dict[str, np.ndarray] = {}
    labels = [nodes[i] for i in order]
    sorted_data = [data[i] for i in order]
    for name in ("age_group", "low_income", "party", "employed"):
        given = sum(name in d for d in data)
        if 0 < given < n:
            missing = next(x for x, d in zip(nodes, data) if name not in d)
            raise NetworkFileError(
                f"{path}: attribute {name!r} is on {given} of {n} nodes (missing on "
                f"{missing!r}); give it on every node or on none"
            )
    if any("age_group" in d for d in data):
        ages = []
        for node, d in zip(labels, sorted_data):
            a = str(d.get("age_group", "")).strip().lower()
            if a not in AGE_CODES:
                raise NetworkFileError(
                    f"{path}: node {node!r} has age_group={d.get('age_group')!r}; "
                    "expected 'youth', 'working' or 'retired'"
                )
            ages.append(AGE_CODES[a])
        attributes["age_group"] = np.array(ages, dtype=np.int8)
    for name in ("low_income", "party", "employed"):
        if any(name in d for d in data):
            attributes[name] = np.array(
                [_as_bool(path, x, name, d[name]) for x, d in zip(labels, sorted_data)]
            )
    return Neighbourhood(
        building=new_b.astype(np.int32),
        compound=new_c.astype(np.int32),
        adjacency=adjacency_from_edges(n, position[e[:, 0]], position[e[:, 1]]),
        attributes=attributes,
        node_labels=labels,
    )


def to_networkx(hood: Neighbourhood) -> nx.Graph:
    """The social network as a networkx graph with building and compound attributes."""
    g = nx.Graph()
    g.add_nodes_from(
        (i, {"building": int(b), "compound": int(c)})
        for i, (b, c) in enumerate(zip(hood.building, hood.compound))
    )
    coo = sp.triu(hood.adjacency, k=1).tocoo()
    g.add_edges_from(zip(coo.row.tolist(), coo.col.tolist()))
    return g
