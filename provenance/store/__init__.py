"""The only package that imports eventsourcing."""

from provenance.store.store import DB_NAME, Receipt, Store

__all__ = ["DB_NAME", "Receipt", "Store"]
