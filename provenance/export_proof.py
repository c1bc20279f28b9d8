"""Proving an export's order and completeness against a signed checkpoint (export.md §4).

Leaf ``i`` of a store's log is the ``i``-th statement's stored envelope bytes
(``docs/spec/log.md`` §1), and an export's statement lines are those bytes in
position order. So the RFC 9162 root of the first ``size`` statement lines of
an honest export is the root a checkpoint of that size signs. A line swapped,
duplicated, dropped, added or altered within those ``size`` changes the root:
the import is refused before anything is written.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from provenance.attachment_lines import is_attachment_line
from provenance.errors import VerificationError
from provenance.log.checkpoint import Checkpoint
from provenance.log.merkle import CompactRange, leaf_hash
from provenance.store import Store


def statement_lines(lines: Iterable[bytes]) -> Iterable[bytes]:
    """The statement lines of an export, in order (blank and attachment lines skipped)."""
    for line in lines:
        if line.strip() and not is_attachment_line(line):
            yield line


def check_export(lines: Iterable[bytes], checkpoint: Checkpoint, store: Store | None) -> int:
    """Check that an export's first statements are the checkpoint's log, before importing.

    Args:
        lines: the export's lines, without terminators.
        checkpoint: a checkpoint already verified under the log's key.
        store: the store the export goes into if it exists (None for a new one):
            its statements must be the export's first ones, so that after the
            import its first ``checkpoint.size`` statements are the file's.

    Returns:
        How many statement lines the export holds.

    Raises:
        VerificationError: the export holds fewer statements than the checkpoint,
            or their root is not the checkpoint's, or the store's statements are
            not the export's first ones.
    """
    size = checkpoint.size
    held = 0 if store is None else store.size()
    tree = CompactRange()
    at_held = tree.root() if held == 0 else None
    at_size = tree.root() if size == 0 else None
    for line in statement_lines(lines):
        tree.append(leaf_hash(line))
        if tree.size == held:
            at_held = tree.root()
        if tree.size == size:
            at_size = tree.root()
    count = tree.size
    if at_size is None:
        raise VerificationError(
            f"the export holds {count} statements, fewer than the {size} of the checkpoint: "
            "it is incomplete"
        )
    if not hmac.compare_digest(at_size, checkpoint.root_hash):
        raise VerificationError(
            f"the export's first {size} statements do not have the root the checkpoint of "
            f"{checkpoint.origin} signs at size {size}: lines were swapped, duplicated, "
            "dropped, added or altered"
        )
    if store is not None and held:
        # Compare where both are known: the store's first statements are the file's.
        ours = store.log_root(size) if held > size else store.log_root(held)
        theirs = checkpoint.root_hash if held > size else at_held
        if theirs is None or not hmac.compare_digest(ours, theirs):
            raise VerificationError(
                f"the store at {store.location} holds {held} statements that are not the "
                "export's first ones (nor the checkpoint's log): refusing to mix two records"
            )
    return count


def check_store(store: Store, checkpoint: Checkpoint, refusal: str | None = None) -> None:
    """After an import: the store's log at the checkpoint's size is the checkpoint's.

    Args:
        store: the store imported into.
        checkpoint: the verified checkpoint.
        refusal: the import's first refused line, to name in the error.

    Raises:
        VerificationError: it is not (a statement of the proven part was refused).
    """
    size = checkpoint.size
    if store.size() < size or not hmac.compare_digest(store.log_root(size), checkpoint.root_hash):
        why = f" ({refusal})" if refusal else ""
        raise VerificationError(
            f"after the import the store's log at size {size} is not the checkpoint's: "
            f"a statement the checkpoint covers was refused{why}"
        )
