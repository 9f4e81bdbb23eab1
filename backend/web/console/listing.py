"""A console list's state in its URL: the sort, the page and the filters, read from the query
and written back into every link (so a list is bookmarkable and the back button works)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

PAGE_SIZE = 25


@dataclass
class Listing:
    path: str
    sort: str
    page: int
    filters: dict[str, str] = field(default_factory=dict)
    size: int = PAGE_SIZE
    total: int = 0

    @classmethod
    def read(
        cls,
        path: str,
        query: Mapping[str, Any],
        *,
        sorts: Iterable[str],
        default_sort: str,
        filters: Iterable[str] = (),
        size: int = PAGE_SIZE,
    ) -> Listing:
        """The list as the URL asks for it; a sort or page it cannot give falls back to the default."""
        allowed = set(sorts)
        sort = str(query.get("sort") or default_sort)
        if sort.lstrip("-") not in allowed:
            sort = default_sort
        try:
            page = max(1, int(str(query.get("page") or 1)))
        except ValueError:
            page = 1
        chosen = {name: str(query[name]).strip() for name in filters if str(query.get(name) or "").strip()}
        return cls(path=path, sort=sort, page=min(page, 10_000), filters=chosen, size=size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    def link(self, **changes: Any) -> str:
        """This list's URL with some of its state changed (``None`` drops a filter)."""
        state: dict[str, Any] = {**self.filters, "sort": self.sort, "page": self.page, **changes}
        shown = {k: v for k, v in state.items() if v not in (None, "") and not (k == "page" and v == 1)}
        return self.path + ("?" + urlencode(shown) if shown else "")
