"""A pickled state kept as a base file and a file of the changes made since.

The build cache is a few tables (dicts) of thousands of entries, of which a build with
one edited article changes a handful. Pickling all of it again took longer than the
rest of such a build (0.9 s at 10,000 articles); writing only the entries that changed
takes milliseconds. The changes file holds every change since the base was written
(each save rewrites it whole), so it is read back in one go; once it holds more than a
quarter of the entries, the base is written afresh and the changes file goes.

Both files are replaced atomically, and the changes file names the base it applies to
(a random token), so a build killed between the two writes leaves a state that reads
back as either the old one or the new one.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

Encode = Callable[[str, Any], Any]  # (table name, value in memory) -> value to pickle

_MISSING = object()


class Store:
    """A state of named tables (dicts) and values, saved in `path` and `path`.changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changes_path = path.with_name(f"{path.name}.changes")
        self._token = ""  # the base on disk
        self._base_entries = 0
        # Changes since the base, as pickled: table -> (key -> value, keys removed).
        self._changes: dict[str, tuple[dict[Any, Any], set[Any]]] = {}
        self._values: dict[str, Any] = {}  # values changed since the base, as pickled
        self._saved: dict[str, Any] = {}  # the state as saved: shallow copies of its tables

    def read(self) -> dict[str, Any] | None:
        """The state last saved (as pickled), or None if there is none or it is unreadable."""
        base = read_pickle(self.path)
        if not (isinstance(base, dict) and isinstance(base.get("state"), dict)
                and isinstance(base.get("token"), str)):
            return None
        state: dict[str, Any] = base["state"]
        self._token = base["token"]
        self._base_entries = sum(len(v) for v in state.values() if isinstance(v, dict))
        changes = read_pickle(self.changes_path)
        if changes is None and self.changes_path.exists():
            return None  # changes that cannot be read back: the base alone is out of date
        if isinstance(changes, dict) and changes.get("token") == self._token:
            try:
                for name, (updated, removed) in changes["tables"].items():
                    table = state[name]
                    table.update(updated)
                    for key in removed:
                        table.pop(key, None)
                state.update(changes["values"])
            except (KeyError, TypeError, ValueError, AttributeError):
                return None  # not a changes file this code wrote
            self._changes, self._values = changes["tables"], changes["values"]
        return state

    def remember(self, state: dict[str, Any]) -> None:
        """Take `state` (as kept in memory) to be what is saved now: the next `save` writes
        only what differs from it."""
        self._saved = {name: dict(value) if isinstance(value, dict) else value
                       for name, value in state.items()}

    def save(self, state: dict[str, Any], encode: Encode) -> None:
        """Save `state` (as kept in memory; `encode` turns a table's values into what is
        pickled): its changes since the last save (nothing if there are none), or all of
        it when that is simpler."""
        if not self._token or state.keys() != self._saved.keys():
            self._save_all(state, encode)
            return
        found = False
        for name, value in state.items():
            saved = self._saved[name]
            if isinstance(value, dict) and isinstance(saved, dict):
                updated, removed = self._changes.setdefault(name, ({}, set()))
                for key, item in value.items():
                    before = saved.get(key, _MISSING)
                    if before is not item and before != item:
                        updated[key] = encode(name, item)
                        removed.discard(key)
                        found = True
                for key in saved.keys() - value.keys():
                    updated.pop(key, None)
                    removed.add(key)
                    found = True
            elif saved is not value and saved != value:
                self._values[name] = encode(name, value)
                found = True
        if not found:
            return  # what is saved is this state already
        size = sum(len(updated) + len(removed) for updated, removed in self._changes.values())
        if size > max(64, self._base_entries // 4):
            self._save_all(state, encode)
            return
        changes = {"token": self._token, "tables": self._changes, "values": self._values}
        pickle_atomically(self.changes_path, changes)
        self.remember(state)

    def _save_all(self, state: dict[str, Any], encode: Encode) -> None:
        token = os.urandom(8).hex()
        pickled = {name: {key: encode(name, item) for key, item in value.items()}
                   if isinstance(value, dict) else encode(name, value)
                   for name, value in state.items()}
        base = {"token": token, "state": pickled}
        pickle_atomically(self.path, base)
        self.changes_path.unlink(missing_ok=True)  # it names the old token: unused anyway
        self._token, self._changes, self._values = token, {}, {}
        self._base_entries = sum(len(v) for v in state.values() if isinstance(v, dict))
        self.remember(state)


def read_pickle(path: Path) -> object:
    """What `path` holds, or None if it is missing or cannot be read back."""
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            TypeError, ValueError, IndexError):
        return None


def pickle_atomically(path: Path, state: object) -> None:
    """Pickle `state` beside `path` and rename it into place: readers see old or new.

    Streamed to the file: at 10,000 articles a pickle is tens of MB."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            pickle.dump(state, file, protocol=5)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)  # left only when writing failed
