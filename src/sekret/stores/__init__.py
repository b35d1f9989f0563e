"""Format adapters: file bytes ↔ :mod:`sekret.sops.tree` documents. No crypto, no paths."""

from __future__ import annotations

from sekret.stores.base import (
    FORMATS,
    Store,
    StoreError,
    format_for_path,
    get_store,
)

__all__ = ["FORMATS", "Store", "StoreError", "format_for_path", "get_store"]
