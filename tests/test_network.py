import networkx as nx
import numpy as np
import pytest

from model import CommunityModel
from model.network import NetworkFileError, read_network_file


def test_nested_network_is_dense_in_buildings_and_sparse_across_compounds():
    m = CommunityModel(rng=3, n_residents=4000)
    a = m.adjacency.tocoo()
    same_b = m.building[a.row] == m.building[a.col]
    same_c = m.compound[a.row] == m.compound[a.col]
    per_res = lambda mask: mask.sum() / m.n  # noqa: E731  ties per resident
    assert per_res(same_b) == pytest.approx(m.params["ties_building"], rel=0.15)
    assert per_res(same_c & ~same_b) == pytest.approx(m.params["ties_compound"], rel=0.15)
    assert per_res(~same_c) == pytest.approx(m.params["ties_community"], rel=0.25)


def test_a_community_without_ties_runs_and_hears_nothing_from_neighbours():
    m = CommunityModel(rng=2, n_residents=200, ties_building=0.0, ties_compound=0.0,
                       ties_community=0.0, burn_in_weeks=5)  # fmt: skip
    assert m.adjacency.nnz == 0
    for _ in range(10):
        m.step()
    assert (m.neighbour_share == 0).all() and m.hearers.size == 0
    assert m.measures["participation_rate"] > 0  # residents still take part on their own


def test_adjacency_is_symmetric_without_self_ties():
    m = CommunityModel(rng=1, n_residents=500)
    a = m.adjacency
    assert (a != a.T).nnz == 0
    assert a.diagonal().sum() == 0
    assert set(np.unique(a.data)) == {1.0}


def test_buildings_are_contiguous_and_grids_cover_whole_buildings():
    m = CommunityModel(rng=1, n_residents=1000, building_size=30, grid_households=300)
    assert np.all(np.diff(m.building) >= 0)
    for b in range(m.n_buildings):
        assert len(set(m.grid_index[m.building == b])) == 1
    assert m.n_grids == pytest.approx(1000 / 300, abs=1)


def test_watts_strogatz_option_gives_the_ring_degree():
    m = CommunityModel(rng=1, n_residents=600, network_kind="watts_strogatz", ws_k=6, ws_p=0.0)
    assert np.all(m.degree == 6)


def test_graphml_attributes_map_to_residents(tmp_path):
    g = nx.Graph()
    for i in range(60):  # the smallest community allowed is 50 households
        g.add_node(
            f"h{i}",
            building=f"B{i // 4}",
            compound="north" if i < 40 else "south",
            age_group="retired" if i % 3 == 0 else "working",
            party=i == 5,
            low_income=int(i == 7),
        )
    g.add_edges_from([("h0", "h1"), ("h1", "h2"), ("h4", "h9"), ("h10", "h11")])
    path = tmp_path / "net.graphml"
    nx.write_graphml(g, path)
    m = CommunityModel(rng=0, network_file=str(path))
    assert m.n == 60 and m.n_buildings == 15 and m.n_compounds == 2
    labels = m.neighbourhood.node_labels
    i5 = labels.index("h5")
    assert m.party[i5] and m.party.sum() == 1
    assert m.low_income[labels.index("h7")]
    assert m.residents[labels.index("h0")].age_group == "retired"
    assert m.adjacency[labels.index("h4"), labels.index("h9")] == 1


def test_edge_list_without_attributes_falls_back_to_chunks(tmp_path):
    path = tmp_path / "net.csv"
    path.write_text("# survey ties\n" + "\n".join(f"{i},{(i + 1) % 90}" for i in range(90)))
    m = CommunityModel(rng=0, network_file=str(path), building_size=10)
    assert m.n == 90 and m.n_buildings == 9
    for _ in range(3):
        m.step()


def test_missing_network_file_names_the_file():
    with pytest.raises(NetworkFileError, match="nowhere.graphml.*does not exist"):
        CommunityModel(network_file="nowhere.graphml")


def test_malformed_network_file_names_the_file_and_problem(tmp_path):
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><graph><node id='a'></graph>")
    with pytest.raises(NetworkFileError, match="bad.graphml: cannot read"):
        read_network_file(bad)
    odd = tmp_path / "net.json"
    odd.write_text("{}")
    with pytest.raises(NetworkFileError, match="unknown network format"):
        read_network_file(odd)


def test_bad_node_attribute_names_node_and_allowed_values(tmp_path):
    g = nx.path_graph(4)
    nx.set_node_attributes(g, {0: "pensioner", 1: "youth", 2: "youth", 3: "youth"}, "age_group")
    path = tmp_path / "ages.graphml"
    nx.write_graphml(g, path)
    with pytest.raises(NetworkFileError, match="node '0'.*pensioner.*'youth', 'working'"):
        read_network_file(path)


def test_edge_list_header_is_skipped_and_bad_lines_are_named(tmp_path):
    good = tmp_path / "ties.csv"
    good.write_text("source,target\na,b\nb,c\n")
    assert read_network_file(good).n == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\nb;c\n")
    with pytest.raises(NetworkFileError, match="line 2: expected two node labels"):
        read_network_file(bad)


def test_attribute_on_some_nodes_only_is_refused(tmp_path):
    g = nx.path_graph(4)
    nx.set_node_attributes(g, {0: True, 1: False}, "party")
    path = tmp_path / "partial.graphml"
    nx.write_graphml(g, path)
    with pytest.raises(NetworkFileError, match="'party' is on 2 of 4 nodes"):
        read_network_file(path)


def test_a_graphml_keys_default_fills_the_nodes_that_omit_it(tmp_path):
    key = (
        '<key id="p" for="node" attr.name="party" attr.type="boolean">'
        "<default>false</default></key>"
    )
    nodes = "".join(
        f'<node id="h{i}">' + ('<data key="p">true</data>' if i % 10 == 0 else "") + "</node>"
        for i in range(60)
    )
    edges = "".join(f'<edge source="h{i}" target="h{(i + 1) % 60}"/>' for i in range(60))
    path = tmp_path / "yed.graphml"
    path.write_text(
        '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        f'{key}<graph edgedefault="undirected">{nodes}{edges}</graph></graphml>'
    )
    hood = read_network_file(path)
    assert hood.attributes["party"].sum() == 6 and hood.attributes["party"].size == 60


def test_a_graphml_boolean_networkx_cannot_read_names_node_key_and_allowed_words(tmp_path):
    path = tmp_path / "yes.graphml"
    path.write_text(
        '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        '<key id="d0" for="node" attr.name="party" attr.type="boolean"/>'
        '<graph edgedefault="undirected"><node id="a"><data key="d0">yes</data></node>'
        '<node id="b"><data key="d0">false</data></node><edge source="a" target="b"/>'
        "</graph></graphml>"
    )
    with pytest.raises(NetworkFileError, match="node 'a' has party='yes'.*true/false or 1/0"):
        read_network_file(path)
    text = path.read_text()
    path.write_text(
        text.replace("yes", "true").replace(
            'attr.type="boolean"/>', 'attr.type="boolean"><default>Ja</default></key>'
        )
    )
    with pytest.raises(NetworkFileError, match="key 'party' has the default party='Ja'"):
        read_network_file(path)


def test_a_tsv_splits_on_tabs_so_labels_may_hold_spaces(tmp_path):
    path = tmp_path / "names.tsv"
    path.write_text("Zhang San\tLi Si\nLi Si\tWang Wu\n", encoding="utf-8")
    assert read_network_file(path).n == 3
    path.write_text("Zhang San Li Si\n", encoding="utf-8")
    with pytest.raises(
        NetworkFileError, match="line 1: expected two node labels separated by a tab"
    ):
        read_network_file(path)
