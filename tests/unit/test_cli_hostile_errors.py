"""The net under every command: hostile input never surfaces as a traceback.

RecursionError, OverflowError and UnicodeError become one line and exit 2;
an error line quoting hostile text is escaped; anything else is exit 3.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from provenance_cli.context import fail, handle_errors
from provenance_cli.main import ProvGroup


def _run(error: BaseException) -> tuple[int, str]:
    group = ProvGroup("t")

    @group.command("boom")
    @handle_errors
    def boom() -> None:
        raise error

    @group.command("bare")
    def bare() -> None:  # not wrapped: ProvGroup.main is the last net
        raise error

    results = [CliRunner().invoke(group, [name]) for name in ("boom", "bare")]
    for result in results:
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("error: ")
    assert results[0].exit_code == results[1].exit_code
    return results[0].exit_code, results[0].stderr


@pytest.mark.parametrize(
    ("error", "needle"),
    [
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (OverflowError("int too large to convert to float"), "out of range"),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), "Unicode"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "Unicode"),
    ],
)
def test_hostile_input_errors_are_bad_input(error: BaseException, needle: str) -> None:
    code, stderr = _run(error)
    assert code == 2 and needle in stderr


def test_an_assertion_is_an_internal_error_in_one_line() -> None:
    code, stderr = _run(AssertionError("a bug"))
    assert code == 3 and "internal error" in stderr


def test_an_error_line_quoting_hostile_text_stays_one_line() -> None:
    @click.command()
    def cmd() -> None:
        fail("no subject 'x\rverified intact\u202e\nsecond line'")

    result = CliRunner().invoke(cmd, [])
    assert result.exit_code == 2
    assert result.stderr == "error: no subject 'x\\x0dverified intact\\u202e\\x0asecond line'\n"


def test_a_lone_surrogate_is_printed_escaped_not_raised() -> None:
    """Text from argv holding a surrogate (a non-UTF-8 byte) prints as an escape."""
    group = ProvGroup("t")

    @group.command("echo")
    @click.argument("text")
    def echo(text: str) -> None:
        click.echo(text)

    result = CliRunner().invoke(group, ["echo", "item-\udcff"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "item-\\udcff\n"
