import pytest

from topichub.topics.stream.cursor import (
    MAX_PARTITIONS,
    CursorError,
    decode_cursor,
    encode_cursor,
)


@pytest.mark.parametrize(
    ("positions", "text"),
    [
        ({0: 16}, "0:16"),
        ({0: 0}, "0:0"),
        ({2: 0, 0: 16, 1: 3}, "0:16,1:3,2:0"),
        ({0: 2**63 - 1}, f"0:{2**63 - 1}"),
        ({2**31 - 1: 5}, f"{2**31 - 1}:5"),
        ({p: p * 7 for p in range(MAX_PARTITIONS)}, None),
    ],
)
def test_cursor_round_trips(positions: dict[int, int], text: str | None) -> None:
    encoded = encode_cursor(positions)
    if text is not None:
        assert encoded == text
    assert decode_cursor(encoded) == positions


def test_cursor_uses_only_url_and_header_safe_characters() -> None:
    encoded = encode_cursor({0: 123, 1: 0, 10: 99})
    assert set(encoded) <= set("0123456789:,")


@pytest.mark.parametrize(
    "text",
    [
        "",
        ",",
        "0",
        "0:",
        ":1",
        "0:1,",
        ",0:1",
        "0:1,,1:2",
        "0:-1",
        "-1:0",
        "0:1.5",
        "0:1e3",
        " 0:1",
        "0:1 ",
        "0:1\n",
        "0:1\r\nid: 9:9",
        "0:01",
        "00:1",
        "0:+1",
        "0:1:2",
        "0;1",
        "a:1",
        "0:\u0661",  # an Arabic-Indic digit: int() accepts it, a cursor must not
        "0:1,0:2",
        f"0:{2**63}",
        f"{2**31}:0",
        "0:" + "9" * 30,
        ",".join(f"{p}:0" for p in range(MAX_PARTITIONS + 1)),
        "0:1" * 20_000,
    ],
)
def test_malformed_cursors_are_rejected(text: str) -> None:
    with pytest.raises(CursorError):
        decode_cursor(text)


def test_cursor_error_is_a_value_error() -> None:
    assert issubclass(CursorError, ValueError)


@pytest.mark.parametrize(
    "positions",
    [{}, {0: -1}, {-1: 0}, {0: 2**63}, dict.fromkeys(range(MAX_PARTITIONS + 1), 0)],
)
def test_encoding_refuses_positions_no_cursor_can_hold(positions: dict[int, int]) -> None:
    with pytest.raises(ValueError, match=r"."):
        encode_cursor(positions)
