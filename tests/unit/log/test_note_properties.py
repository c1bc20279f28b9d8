"""Property tests: hostile notes and trust files get a library error, never a crash."""

from __future__ import annotations

import base64
import contextlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError, NoteError
from provenance.log.note import Verifier, open_note, parse_signature_line, sign_note
from provenance.trust import parse_trust_file

SEED = b"\x04" * 32
PUBLIC = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()
LOG = Verifier.from_public_key("example.com/log", PUBLIC)
TEXT = "example.com/log\n1\n" + base64.b64encode(b"\x33" * 32).decode() + "\n"
NOTE = sign_note(TEXT, LOG.name, SEED)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400)))
def test_any_input_to_open_note_is_a_note_error_or_opens(data: str | bytes) -> None:
    with contextlib.suppress(NoteError):
        open_note(data, [LOG])


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(NOTE) - 1), st.characters(codec="utf-8"))
def test_changing_one_character_of_a_signed_note_never_verifies_another_text(
    index: int, char: str
) -> None:
    changed = NOTE[:index] + char + NOTE[index + 1 :]
    try:
        opened = open_note(changed, [LOG])
    except NoteError:
        return
    # Only a change that leaves the text and the signature's bytes alone can pass.
    assert opened.text == TEXT


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_signature_line_parses_or_is_a_note_error(line: str) -> None:
    try:
        sig = parse_signature_line(line)
    except NoteError:
        return
    assert sig.line.rstrip("\n") == line.rstrip("\n")


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["format", "root_key_id", "log_vkey", "witnesses", "quorum"]),
                    inner,
                    max_size=5,
                )
            ),
            max_leaves=12,
        ).map(lambda v: repr(v).replace("'", '"').encode()),
    )
)
def test_any_trust_file_is_refused_with_an_input_error_or_parses(data: bytes) -> None:
    with contextlib.suppress(InputError):
        parse_trust_file(data)
