"""The command on input a careless or hostile user gives it: pipes, damaged
archives, unreadable folders, outputs that cannot be written, records no
reader expects. Nothing is lost silently and no traceback reaches the user."""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import dedup
from dedup import cli
from dedup.io.corpus import InputError, open_corpus
from dedup.io.output import AtomicOutputs, rewritten_line
from tests.test_cli import POSTS, ROOT, read_jsonl, run, write_jsonl

SHELL = ["bash", "-c"]


def _bash(command, cwd):
    env = {**os.environ, "DEDUP": f"{sys.executable} -m dedup", "PYTHONPATH": str(ROOT)}
    return subprocess.run([*SHELL, command], cwd=cwd, capture_output=True, text=True, env=env)


def test_a_pipe_is_read_once_and_whole_by_every_command(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    run("clean", posts, "-o", tmp_path / "expected.jsonl", "-q")
    run("find", posts, "-o", tmp_path / "expected-clusters.jsonl", "-q")
    expected = (tmp_path / "expected.jsonl").read_bytes()
    clusters = [[(m["id"], m["start"], m["end"]) for m in c["members"]]
                for c in read_jsonl(tmp_path / "expected-clusters.jsonl")]
    (tmp_path / "posts.jsonl.gz").write_bytes(gzip.compress(posts.read_bytes()))
    for number, command in enumerate([
            "cat posts.jsonl | $DEDUP clean /dev/stdin --format jsonl -o {out} -q",
            "$DEDUP clean <(cat posts.jsonl) --format jsonl -o {out} -q",
            "cat posts.jsonl.gz | $DEDUP clean - --format jsonl -o {out} -q",
            "$DEDUP clean <(cat posts.jsonl.gz) --format jsonl -o {out} -q"]):
        result = _bash(command.format(out=f"out{number}.jsonl"), tmp_path)
        assert result.returncode == 0, (command, result.stderr)
        assert (tmp_path / f"out{number}.jsonl").read_bytes() == expected, command
    result = _bash("$DEDUP find <(cat posts.jsonl) --format jsonl -o - -q", tmp_path)
    assert [[(m["id"], m["start"], m["end"]) for m in json.loads(line)["members"]]
            for line in result.stdout.splitlines()] == clusters
    stats = _bash("cat posts.jsonl | $DEDUP stats /dev/stdin --format jsonl --json", tmp_path)
    assert json.loads(stats.stdout)["records"] == len(POSTS)

    fifo = tmp_path / "named.jsonl"  # a FIFO tells its format by its name
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(posts.read_bytes()))
    writer.start()
    run("clean", fifo, "-o", tmp_path / "fifo-out.jsonl", "-q", timeout=120)
    writer.join(timeout=10)
    assert (tmp_path / "fifo-out.jsonl").read_bytes() == expected

    nameless = _bash("$DEDUP clean <(cat posts.jsonl) -o x.jsonl", tmp_path)
    assert nameless.returncode == 2 and "(a pipe, read once) needs --format" in nameless.stderr


def _records(count):
    return "".join(json.dumps({"id": i, "text": f"record {i} says something of its own"}) + "\n"
                   for i in range(count)).encode()


def _damaged(kind):
    data = _records(20_000)
    compressed = gzip.compress(data) if kind.endswith("gz") else zstandard.ZstdCompressor(level=1).compress(data)
    if kind.startswith("truncated"):
        return compressed[: len(compressed) // 2]
    if kind.startswith("empty"):
        return b""
    if kind.startswith("plain"):
        return data
    flipped = bytearray(compressed)
    flipped[len(flipped) // 2] ^= 0xFF
    return bytes(flipped)


@pytest.mark.parametrize("kind", ["truncated-gz", "truncated-zst", "empty-gz", "empty-zst", "plain-gz", "plain-zst",
                                  "flipped-zst"])
def test_a_damaged_archive_is_an_error_naming_the_file_or_a_counted_skip(tmp_path, kind):
    path = tmp_path / f"corpus.jsonl.{kind.rsplit('-', 1)[1]}"
    path.write_bytes(_damaged(kind))
    result = run("find", path, "-o", tmp_path / "c.jsonl", check_code=1)
    assert f"{path}" in result.stderr and "Traceback" not in result.stderr
    skipped = run("find", path, "-o", tmp_path / "c.jsonl", "--on-error", "skip")
    read = int(skipped.stdout.split(" record")[0].replace(",", ""))
    assert read < 20_000 and "none skipped" not in skipped.stdout, skipped.stdout
    if not kind.startswith("flipped"):  # a flipped bit in a frame without a checksum decodes to bad records
        assert "unreadable file" in skipped.stdout


def test_a_whole_zstd_file_of_several_frames_is_read_whole(tmp_path):
    lines = _records(3000).splitlines(keepends=True)
    frames = b"".join(zstandard.ZstdCompressor().compress(b"".join(lines[i: i + 1000])) for i in range(0, 3000, 1000))
    path = tmp_path / "frames.jsonl.zst"
    path.write_bytes(frames)
    assert sum(1 for _ in open_corpus([path]).records()) == 3000


def _unlisted(monkeypatch, denied):
    listing = os.scandir

    def scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and Path(path) in denied:
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_a_directory_that_cannot_be_listed_is_an_error_or_a_counted_skip(tmp_path, monkeypatch, capsys):
    # chmod 000 does not stop root, who runs CI: listing is refused by the test instead.
    for name in ("a", "b/inner", "c"):
        (tmp_path / "in" / name).mkdir(parents=True)
        write_jsonl(tmp_path / "in" / name / "posts.jsonl", POSTS)
    _unlisted(monkeypatch, {tmp_path / "in" / "b" / "inner", tmp_path / "in" / "c"})
    with pytest.raises(InputError, match="inner: cannot list: Permission denied"):
        open_corpus([tmp_path / "in"])
    corpus = open_corpus([tmp_path / "in"], on_error="skip")
    skipped = []
    assert sum(1 for _ in corpus.records(skipped)) == len(POSTS)
    assert sorted(e.kind for e in skipped) == ["unreadable directory"] * 2
    assert cli.main(["find", str(tmp_path / "in"), "-o", str(tmp_path / "c.jsonl"), "-q"]) == 1
    assert "cannot list" in capsys.readouterr().err
    assert cli.main(["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--on-error", "skip"]) == 0
    assert "skipped 2 (2 unreadable directory" in capsys.readouterr().out
    assert [p.relative_to(tmp_path / "out").as_posix() for p in sorted((tmp_path / "out").rglob("*.jsonl"))] == [
        "a/posts.jsonl"]
    _unlisted(monkeypatch, {tmp_path / "in"})
    assert cli.main(["stats", str(tmp_path / "in"), "-q"]) == 1
    assert "in: cannot list: Permission denied" in capsys.readouterr().err


def test_outputs_are_checked_before_the_search(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    (tmp_path / "text.txt").write_text("Some words.", encoding="utf-8")
    (tmp_path / "in").mkdir()
    write_jsonl(tmp_path / "in" / "a.jsonl", POSTS)
    write_jsonl(tmp_path / "in" / "b.jsonl", POSTS)
    (tmp_path / "out" / "b.jsonl").mkdir(parents=True)
    (tmp_path / "out" / "a.jsonl").write_text("old\n", encoding="utf-8")
    for args, message in [
            (["clean", tmp_path / "text.txt", "-o", tmp_path], "is a directory"),
            (["clean", posts, "-o", tmp_path], "must be jsonl"),
            (["find", posts, "-o", tmp_path], "is a directory"),
            (["report", posts, "-o", tmp_path / "text.txt" / "r.html"], "is not a directory"),
            (["clean", tmp_path / "in", "-o", tmp_path / "out"], "out/b.jsonl is a directory")]:
        result = run(*args, check_code=2)
        assert message in result.stderr and "records" not in result.stdout, args  # no search ran
    assert (tmp_path / "out" / "a.jsonl").read_text(encoding="utf-8") == "old\n"
    assert not list(tmp_path.rglob("*.part"))


def test_outputs_are_replaced_all_or_none(tmp_path, monkeypatch):
    finals = [tmp_path / f"{name}.txt" for name in "abc"]
    for final in finals[:2]:
        final.write_text("old", encoding="utf-8")
    replace, calls = os.replace, []

    def failing_third(source, target):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(target))
        return replace(source, target)

    monkeypatch.setattr(os, "replace", failing_third)
    with pytest.raises(OSError, match="No space left"), AtomicOutputs() as outputs:
        for final in finals:
            outputs.temporary(final).write_text("new", encoding="utf-8")
    monkeypatch.setattr(os, "replace", replace)
    assert [f.read_text(encoding="utf-8") for f in finals[:2]] == ["old", "old"] and not finals[2].exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # no .part, no .old


def test_a_symlinked_output_is_written_through_and_a_device_is_never_replaced(tmp_path):
    posts = write_jsonl(tmp_path / "posts.jsonl", POSTS)
    run("clean", posts, "-o", tmp_path / "expected.jsonl", "-q")
    (tmp_path / "link.jsonl").symlink_to("target.jsonl")
    run("clean", posts, "-o", tmp_path / "link.jsonl", "-q")
    assert (tmp_path / "link.jsonl").is_symlink()
    assert (tmp_path / "target.jsonl").read_bytes() == (tmp_path / "expected.jsonl").read_bytes()
    run("find", posts, "-o", "/dev/null", "-q")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    through = run("clean", posts, "-o", "/dev/stdout")
    assert through.stdout.encode() == (tmp_path / "expected.jsonl").read_bytes()
    assert "wrote 5" in through.stderr


def test_records_no_reader_expects_give_a_message_not_a_traceback(tmp_path):
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"text": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}\n" + json.dumps(POSTS[0]) + "\n",
                    encoding="utf-8")
    result = run("stats", deep, check_code=1)
    assert "deep.jsonl:1: malformed JSON: nested too deeply" in result.stderr
    assert "1 malformed JSON" in run("stats", deep, "--on-error", "skip").stdout
    (tmp_path / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    assert "nested too deeply" in run("stats", tmp_path / "deep.json", check_code=1).stderr

    lone = "A paragraph with a lone \ud800 surrogate in it, repeated in three posts."
    surrogates = write_jsonl(tmp_path / "lone.jsonl", [{"id": f"p{i}\udfff", "text": lone} for i in range(3)])
    text = run("stats", surrogates)
    assert "lone \\ud800 surrogate" in text.stdout and "Traceback" not in text.stderr
    assert json.loads(run("stats", surrogates, "--json").stdout)["boilerplate"][0]["text"] == lone
    run("report", surrogates, "-o", tmp_path / "r.html", "-q")
    assert "&#55296;" in (tmp_path / "r.html").read_text(encoding="utf-8")

    (tmp_path / "loops").mkdir()
    (tmp_path / "loops" / "one.jsonl").symlink_to("two.jsonl")
    (tmp_path / "loops" / "two.jsonl").symlink_to("one.jsonl")
    write_jsonl(tmp_path / "loops" / "posts.jsonl", POSTS)
    looped = run("clean", tmp_path / "loops", "-o", tmp_path / "out", "--on-error", "skip")
    assert "skipped 2 (2 unreadable file" in looped.stdout
    assert "Too many levels of symbolic links" in run("find", tmp_path / "loops" / "one.jsonl", "-o",
                                                       tmp_path / "c.jsonl", check_code=1).stderr

    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + write_jsonl(tmp_path / "plain.jsonl", POSTS).read_bytes())
    assert "5 records from 1 file, none skipped" in run("stats", bom).stdout


def test_parquet_columns_of_any_type_go_through_unchanged(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import decimal

    texts = [post["text"] for post in POSTS]
    table = pa.table({
        "id": pa.array([decimal.Decimal(f"{i}.5") for i in range(len(texts))], pa.decimal128(6, 1)),
        "text": texts,
        "when": pa.array(range(1, len(texts) + 1), pa.timestamp("ns")),
        "blob": pa.array([b"\xff\x00"] * len(texts)),
        "tags": pa.array([[1, 2]] * len(texts), pa.list_(pa.int64())),
    })
    pq.write_table(table, tmp_path / "odd.parquet")
    found = run("find", tmp_path / "odd.parquet", "-o", tmp_path / "c.jsonl", "-q")
    assert found.returncode == 0 and {m["id"] for c in read_jsonl(tmp_path / "c.jsonl") for m in c["members"]} <= {
        f"{i}.5" for i in range(len(texts))}
    run("clean", tmp_path / "odd.parquet", "-o", tmp_path / "clean.parquet", "-q")
    cleaned = pq.read_table(tmp_path / "clean.parquet")
    assert cleaned.schema == table.schema and cleaned.drop_columns(["text"]).equals(table.drop_columns(["text"]))
    assert cleaned.column("text").to_pylist() == dedup.deduplicate(texts)
    run("clean", tmp_path / "odd.parquet", "-o", tmp_path / "annotated.parquet", "--annotate", "-q")
    annotated = pq.read_table(tmp_path / "annotated.parquet")
    assert annotated.drop_columns(["dedup_removed"]).equals(table)
    pq.write_table(pa.table({"text": pa.array([b"bytes"])}), tmp_path / "binary.parquet")
    assert "column 'text' holds binary; expected strings" in run(
        "find", tmp_path / "binary.parquet", "-o", tmp_path / "c.jsonl", check_code=1).stderr


def test_clean_rewrites_only_the_text_of_a_jsonl_record(tmp_path):
    lines = [b'{"id": 1, "big": 1e400, "x": 0.10000000000000000555, "text": "The same paragraph, word for word, '
             b'twice.", "k": 1, "k": 2, "name": "caf\\u00e9"}\n',
             b'{ "id" : 2 ,"big":1e400,"text" :"The same paragraph, word for word, twice.\\n\\nA paragraph of its '
             b'own." , "x":0.10000000000000000555,"k":1,"k":2,"name":"caf\\u00e9"}\r\n']
    (tmp_path / "in.jsonl").write_bytes(b"".join(lines))
    run("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl", "-q")
    first, second = (tmp_path / "out.jsonl").read_bytes().splitlines(keepends=True)
    assert first == lines[0]
    assert second == lines[1].replace(b"The same paragraph, word for word, twice.\\n\\n", b"")
    run("clean", tmp_path / "in.jsonl", "-o", tmp_path / "annotated.jsonl", "--annotate", "-q")
    annotated = (tmp_path / "annotated.jsonl").read_bytes().splitlines(keepends=True)
    assert annotated[1] == lines[1].replace(b'"caf\\u00e9"}', b'"caf\\u00e9", "dedup_removed": [[0, 41]]}')


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(fields=st.dictionaries(st.text(max_size=5), _JSON, max_size=5), text=st.text(), new=st.text(),
       spacing=st.sampled_from([(", ", ": "), (",", ":"), (" , ", " : ")]), ascii=st.booleans(),
       annotate=st.booleans())
@example(fields={"meta": {"text": "x"}}, text="x", new="y", spacing=(", ", ": "), ascii=True, annotate=False)
@example(fields={"text": "", "a": {"text": "x"}}, text="x", new="y", spacing=(", ", ": "), ascii=False, annotate=True)
@example(fields={"a": "\", \"text\": \"x\"}"}, text="x", new="\ud800", spacing=(", ", ": "), ascii=True,
         annotate=False)
def test_a_rewritten_line_changes_only_the_fields_set(fields, text, new, spacing, ascii, annotate):
    record = {**fields, "text": text}
    raw = json.dumps(record, separators=spacing, ensure_ascii=ascii).encode("utf-8", "surrogatepass")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # not a line a reader accepts
    changes = {"text": new, **({"spans": [[0, 1]]} if annotate else {})}
    line = rewritten_line(raw, changes)
    assert json.loads(line) == {**record, **changes}
    fast = rewritten_line(raw, changes, record)  # the faster way, where json.dumps wrote the line
    assert json.loads(fast) == json.loads(line) and fast.startswith(raw[: raw.index(b'"text"')])
    assert line.startswith(raw[: raw.index(b'"text"')])  # what comes before the text is as it was


@pytest.mark.parametrize("raw, fields", [
    (b'{"text": "a b", "id": 1, "text": "a b"}\n', {"text": "a b", "id": 1}),
    (b'{"text": "c", "id": 1, "text": "a b", "z": 2}\n', {"text": "a b", "id": 1, "z": 2}),
    (b'{"text": "a b", "m": {"text": "a b"}}\n', {"text": "a b", "m": {"text": "a b"}}),
])
def test_a_rewritten_line_sets_the_text_json_loads_reads(raw, fields):
    for known in (None, fields):
        line = rewritten_line(raw, {"text": "new"}, known)
        assert json.loads(line) == {**fields, "text": "new"}
        assert line.count(b'"new"') == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
       name=st.sampled_from(["x.jsonl", "x.json", "x.csv", "x.tsv", "x.txt", "x.jsonl.gz", "x.jsonl.zst",
                             "x.parquet"]),
       skip=st.booleans())
@example(data=b"\r\x00", name="x.csv", skip=False)  # a header row csv cannot read
def test_the_readers_never_raise_past_the_command_on_any_bytes(data, name, skip):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        args = ["stats", str(path), "-q", *(["--on-error", "skip"] if skip else [])]
        err = io.StringIO()
        stdout, stderr = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = io.StringIO(), err
        try:
            code = cli.main(args)
        finally:
            sys.stdout, sys.stderr = stdout, stderr
        assert code in (0, 1), err.getvalue()
        assert code == 0 or "dedup: bad input:" in err.getvalue()


@pytest.mark.parametrize("kernel", ["numpy", "numba"])
def test_texts_that_read_differently_are_not_exact_duplicates(kernel):
    if kernel == "numba":
        pytest.importorskip("numba")
    pairs = [("The ticket costs $5 at the door tonight.", "The ticket costs €5 at the door tonight."),
             ("I write C++ for a living.", "I write C# for a living."),
             ("Loved the film 👍", "Loved the film 👎"),
             ("Turnout was 40% this year.", "Turnout was 40 this year.")]
    for first, second in pairs:
        report = dedup.find_duplicates([first, second], kernel=kernel)
        assert report.summary.exact_duplicates == 0, (first, second)
    quoted = dedup.find_duplicates(["I write C++ for a living.", "# > I write C++ for a living."], kernel=kernel)
    assert quoted.summary.exact_duplicates == 1  # a quote marker is not part of what is said


def test_only_streams_and_file_descriptors_are_written_in_place(tmp_path):
    from dedup.io.output import written_in_place

    assert written_in_place(Path("-")) and written_in_place(Path("/dev/null"))
    assert written_in_place(Path("/dev/stderr")) and written_in_place(Path("/dev/fd/1"))
    regular = tmp_path / "out.jsonl"
    regular.write_text("old\n", encoding="utf-8")
    assert not written_in_place(regular)
    if Path("/dev/shm").is_dir():  # a regular file under /dev is replaced whole, as any other
        shared = Path(tempfile.mkstemp(dir="/dev/shm", suffix=".jsonl")[1])
        try:
            assert not written_in_place(shared)
        finally:
            shared.unlink()
