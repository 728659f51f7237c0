"""The journal: group commit, checksums, torn-tail repair at any byte, snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trade2026.errors import T26Error
from trade2026.live import Journal
from trade2026.live._journal import JOURNAL_FILE, encode


def _write(d: Path, n: int) -> list[tuple[int, int]]:
    """``n`` records committed three at a time: each frame's (length in bytes, records in it)."""
    groups: list[list[dict[str, object]]] = [[]]
    with Journal(d) as j:
        for i in range(n):
            j.append("intent", i=i)
            groups[-1].append({"i": i, "seq": i + 1, "kind": "intent"})
            if i % 3 == 2:
                j.commit()
                groups.append([])
    return [(len(encode(g)), len(g)) for g in groups if g]


def test_records_come_back_in_order_and_group_commit_batches(tmp_path: Path) -> None:
    with Journal(tmp_path) as j:
        for i in range(7):
            j.append("x", i=i)
        assert not (tmp_path / JOURNAL_FILE).read_bytes()  # buffered until the commit
        j.commit()
        assert j.commits == 1
    j2 = Journal(tmp_path)
    assert [r["i"] for r in j2.records] == list(range(7))
    assert [r["seq"] for r in j2.records] == list(range(1, 8))
    j2.close()


@settings(max_examples=25)
@given(st.integers(0, 10_000))
def test_a_torn_tail_is_cut_at_the_last_whole_record(tmp_path_factory: pytest.TempPathFactory, cut: int) -> None:
    d = tmp_path_factory.mktemp("j")
    frames = _write(d, 7)
    f = d / JOURNAL_FILE
    data = f.read_bytes()
    assert len(data) == sum(n for n, _ in frames)
    cut = cut % (len(data) + 1)
    f.write_bytes(data[:cut])
    k = 0  # whole frames before the cut: a group commit is on disk whole or not at all
    while k < len(frames) and sum(n for n, _ in frames[: k + 1]) <= cut:
        k += 1
    whole = sum(m for _, m in frames[:k])
    j = Journal(d)
    assert [r["i"] for r in j.records] == list(range(whole))
    assert j.truncated == cut - sum(n for n, _ in frames[:k])
    j.append("x", i=99)  # continues with no gap
    j.close()
    j = Journal(d)
    assert [r["seq"] for r in j.records] == list(range(1, whole + 2))
    j.close()


def test_a_flipped_byte_ends_the_journal_there(tmp_path: Path) -> None:
    frames = _write(tmp_path, 5)
    f = tmp_path / JOURNAL_FILE
    data = bytearray(f.read_bytes())
    data[frames[0][0] + 12] ^= 0xFF  # inside the second frame (records 4 and 5)
    f.write_bytes(bytes(data))
    j = Journal(tmp_path)
    assert [r["i"] for r in j.records] == [0, 1, 2]
    j.close()


def test_snapshot_then_records_after_it(tmp_path: Path) -> None:
    with Journal(tmp_path) as j:
        for i in range(4):
            j.append("x", i=i)
        j.write_snapshot({"state": 42})
        j.append("x", i=4)
    j = Journal(tmp_path)
    assert j.snapshot == {"state": 42, "seq": 4}
    assert [r["i"] for r in j.records] == [4]
    assert [r["i"] for r in j.read_all()] == [0, 1, 2, 3, 4]
    j.close()


def test_a_journal_of_one_record_per_frame_still_reads(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_FILE).write_bytes(encode({"seq": 1, "kind": "x"}) + encode([{"seq": 2, "kind": "y"}]))
    j = Journal(tmp_path)
    assert [r["kind"] for r in j.records] == ["x", "y"]
    j.close()


def test_a_gap_in_sequence_numbers_is_an_error(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_FILE).write_bytes(encode({"seq": 1, "kind": "x"}) + encode({"seq": 3, "kind": "x"}))
    with pytest.raises(T26Error, match="gap"):
        Journal(tmp_path)
