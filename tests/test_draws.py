"""The secret draws behind rules 6 and 8 (release day, record key): each value equally
likely, none favoured by the bytes' range, and one read of the system's source for many draws."""

from __future__ import annotations

import collections
import os

import pytest

from survey_service.draws import SecretDraws


class Bytes:
    """A source that hands out given bytes, in order, and counts its reads."""

    def __init__(self, data: bytes):
        self.data, self.reads = data, 0

    def __call__(self, size: int) -> bytes:
        self.reads += 1
        out, self.data = self.data[:size], self.data[size:]
        assert len(out) == size, "the draws asked for more bytes than the test gave"
        return out


def test_a_byte_above_the_last_whole_multiple_is_thrown_away():
    # 256 = 3 * 85 + 1: byte 255 would make 0 a little likelier than 1 and 2, so it is skipped.
    draw = SecretDraws(Bytes(bytes([255, 254, 3])), block=3)
    assert [draw(3), draw(3)] == [254 % 3, 0]


def test_a_record_key_is_one_byte_as_it_comes():
    draw = SecretDraws(Bytes(bytes([0, 255, 17])), block=3)
    assert [draw(256), draw(256), draw(256)] == [0, 255, 17]


def test_more_than_256_values_take_two_bytes():
    draw = SecretDraws(Bytes(bytes([0x01, 0x2C, 0xFF, 0xFF, 0x00, 0x07])), block=6)
    # 0x012C = 300 -> 300 % 1000; 0xFFFF is above 65 * 1000 and skipped; then 7.
    assert [draw(1000), draw(1000)] == [300, 7]


def test_one_read_serves_many_draws():
    source = Bytes(bytes(range(256)) * 16)
    draw = SecretDraws(source, block=4096)
    keys = [draw(256) for _ in range(4096)]
    assert source.reads == 1
    assert collections.Counter(keys) == {k: 16 for k in range(256)}


def test_every_day_of_the_delay_is_drawn_from_the_system_source():
    draw = SecretDraws()
    days = collections.Counter(draw(8) for _ in range(8000))
    assert set(days) == set(range(8))
    assert min(days.values()) > 800  # each about 1,000; a favoured value would show here


def test_nothing_to_choose_from_is_refused():
    with pytest.raises(ValueError, match="at least one value"):
        SecretDraws()(0)


def test_a_forked_child_draws_from_a_block_of_its_own():
    draw = SecretDraws()
    draw(256)  # the parent's block is read
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next draws, to the parent
        os.write(writer, bytes(draw(256) for _ in range(64)))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(reader, 64)
    parent = bytes(draw(256) for _ in range(64))
    assert child != parent  # the same block would give the same 64 numbers
