"""The cache's store: a base file and a file of the changes since, read back as one state."""

from __future__ import annotations

import os
from pathlib import Path

from scarsite.store import Store


def _as_is(table: str, value: object) -> object:
    return value


def _saved(path: Path) -> dict:
    state = Store(path).read()
    assert state is not None
    return state


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_a_small_change_is_saved_as_changes_and_reads_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "state.pickle"
    state = {"identity": "v1", "pages": {f"p{i}": f"record {i}" for i in range(1000)},
             "stats": {f"p{i}": (i, i) for i in range(1000)}}
    store = Store(path)
    store.save(state, _as_is)
    assert path.exists() and not store.changes_path.exists()
    base = _stamp(path)

    state["pages"]["p5"] = "record 5, edited"
    state["pages"]["new"] = "a new page"
    del state["stats"]["p7"]
    state["identity"] = "v2"
    store.save(state, _as_is)
    assert _stamp(path) == base  # the base is not written again
    assert store.changes_path.stat().st_size < path.stat().st_size / 20
    assert _saved(path) == state

    # A key removed and then added again, over two saves, reads back as added.
    state["stats"]["p7"] = (7, 70)
    del state["pages"]["new"]
    store.save(state, _as_is)
    assert _stamp(path) == base
    assert _saved(path) == state


def test_a_store_read_back_saves_only_what_changed_since(tmp_path: Path) -> None:
    path = tmp_path / "state.pickle"
    state = {"pages": {f"p{i}": [i] for i in range(400)}}
    Store(path).save(state, _as_is)
    base = _stamp(path)

    store = Store(path)
    loaded = store.read()
    assert loaded == state
    store.remember(loaded)
    loaded["pages"]["p1"] = ["edited"]
    store.save(loaded, _as_is)
    assert _stamp(path) == base
    assert _saved(path) == loaded

    # Equal values made afresh (as a build makes its records) are not changes.
    again = Store(path)
    state2 = again.read()
    again.remember(state2)
    fresh = {"pages": {key: list(value) for key, value in state2["pages"].items()}}
    before = store.changes_path.read_bytes()
    again.save(fresh, _as_is)
    assert store.changes_path.read_bytes() == before


def test_many_changes_write_the_base_afresh(tmp_path: Path) -> None:
    path = tmp_path / "state.pickle"
    state = {"pages": {f"p{i}": i for i in range(1000)}}
    store = Store(path)
    store.save(state, _as_is)
    state["pages"]["p1"] = -1
    store.save(state, _as_is)
    assert store.changes_path.exists()
    for i in range(300):  # more than a quarter of the entries
        state["pages"][f"p{i}"] = -i - 1
    store.save(state, _as_is)
    assert not store.changes_path.exists()
    assert _saved(path) == state


def test_changes_for_another_base_are_not_applied(tmp_path: Path) -> None:
    """As when a build is killed after writing a new base and before removing the changes."""
    path = tmp_path / "state.pickle"
    state = {"pages": {f"p{i}": i for i in range(1000)}}
    store = Store(path)
    store.save(state, _as_is)
    state["pages"]["p1"] = "old change"
    store.save(state, _as_is)
    stale = store.changes_path.read_bytes()
    for i in range(300):
        state["pages"][f"p{i}"] = f"new {i}"
    store.save(state, _as_is)
    store.changes_path.write_bytes(stale)
    assert _saved(path) == state


def test_an_unreadable_state_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "state.pickle"
    assert Store(path).read() is None  # nothing saved yet
    store = Store(path)
    state = {"pages": {f"p{i}": i for i in range(1000)}}
    store.save(state, _as_is)
    state["pages"]["p1"] = "changed"
    store.save(state, _as_is)
    store.changes_path.write_bytes(b"half a pick")  # the base alone would be out of date
    assert Store(path).read() is None
    path.write_bytes(b"not a pickle")
    store.changes_path.unlink()
    assert Store(path).read() is None


def test_values_are_encoded_as_saved(tmp_path: Path) -> None:
    path = tmp_path / "state.pickle"
    store = Store(path)
    state = {"bodies": {"a": "<p>A</p>"}, "name": "site"}
    encode = lambda table, value: value.upper() if table == "bodies" else value  # noqa: E731
    store.save(state, encode)
    state["bodies"]["b"] = "<p>B</p>"
    store.save(state, encode)
    assert _saved(path) == {"bodies": {"a": "<P>A</P>", "b": "<P>B</P>"}, "name": "site"}
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
