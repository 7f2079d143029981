"""The operations of bench/stdlib_sweep.py, one for each stdlib module CPython accelerates in C,
timed in-process: `ops.py ROUNDS NAME,NAME,...` builds each operation's input (deterministically,
no files), runs it once to check its result, then ROUNDS times, and prints JSON: the fastest round
in seconds and what does the work in this interpreter (compiled code, "Rust" under python.wasm and
"C" under CPython, or the .py file of the pure-Python fallback). Start-up and imports are not
counted. An operation that fails is reported with its error, and the others still run."""

import array
import binascii
import bisect
import codecs
import collections
import csv
import datetime
import decimal
import functools
import hashlib
import heapq
import json
import pickle
import random
import re
import statistics
import struct
import sys
import time
import types
import unicodedata
import xml.etree.ElementTree as ET
import zlib

COMPILED = "Rust" if sys.implementation.name == "rustpython" else "C"
OPS = {}  # name -> (what one round does, setup); setup() returns (run, implementation)


def op(name, what):
    def register(setup):
        OPS[name] = (what, setup)
        return setup

    return register


# --- what does the work ---------------------------------------------------------------------


def is_compiled(obj):
    """Whether `obj` (a function, method, descriptor or class) is compiled code, not Python."""
    obj = getattr(obj, "__func__", obj)  # a bound method, staticmethod or classmethod
    if isinstance(obj, type):
        return not any(isinstance(member, types.FunctionType) for member in vars(obj).values())
    return obj is not None and not isinstance(obj, types.FunctionType)


def source_of(obj):
    """The .py file a Python function or class comes from (`_pydecimal.py`, `collections/__init__.py`).

    From the code's file name, not `__module__`: _pydecimal's functions say they are `decimal`'s."""
    obj = getattr(obj, "__func__", obj)
    filename = getattr(getattr(obj, "__code__", None), "co_filename", "")
    if filename.startswith("<frozen "):  # python.wasm's stdlib
        module = filename[len("<frozen "):-1]
    elif filename.endswith(".py"):  # the path it was compiled from: the last part names the file
        parts = filename.replace("\\", "/").split("/")
        return "/".join(parts[-2:] if parts[-1] == "__init__.py" else parts[-1:])
    else:
        module = obj.__module__
    package = hasattr(sys.modules.get(module), "__path__")
    return module.replace(".", "/") + ("/__init__.py" if package else ".py")


def made_by(accelerator, *objs):
    """`Rust _csv` when every one of `objs` is compiled code; else the .py files that run instead."""
    fallbacks = [o for o in objs if not is_compiled(o)]
    python = sorted({source_of(o) for o in fallbacks})
    if not python:
        return f"{COMPILED} {accelerator}"
    if len(fallbacks) < len(objs):
        return " + ".join(python) + f" + {COMPILED} {accelerator}"
    return " + ".join(python)


def calls_into(module, name, run):
    """Whether one run of `run` calls the Python function `module.name` (patched for the run)."""
    __import__(module)
    target = sys.modules[module]
    original = getattr(target, name)
    called = []

    def spy(*args, **kwargs):
        called.append(True)
        return original(*args, **kwargs)

    setattr(target, name, spy)
    try:
        run()
    finally:
        setattr(target, name, original)
    return bool(called)


# --- deterministic inputs -------------------------------------------------------------------


def numbers(count, seed=1, modulo=1 << 31):
    """`count` pseudo-random ints below `modulo`: an LCG, the same in every interpreter."""
    state, out = seed, []
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(state % modulo)
    return out


def words(alphabet, count, seed=1):
    picks = numbers(count * 9, seed, len(alphabet))
    lengths = numbers(count, seed + 1, 8)
    out, at = [], 0
    for length in lengths:
        out.append("".join(alphabet[i] for i in picks[at:at + length + 2]))
        at += length + 2
    return out


def cyrillic_text():
    """About 22 KB in cp1251: words of the Russian alphabet, sentences with capitals."""
    lower = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    sentences = []
    batch = words(lower, 3300)
    for start in range(0, len(batch), 10):
        sentence = " ".join(batch[start:start + 10])
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    return " ".join(sentences)


def japanese_text():
    """About 4 KB in shift_jis: hiragana, katakana, common kanji and ASCII digits."""
    kana = [chr(c) for c in range(0x3041, 0x3094)] + [chr(c) for c in range(0x30A1, 0x30F4)]
    alphabet = kana + list("日本語文字列東京大学時間今日明月火水木金土人山川田中年") + list("0123456789")
    return "、".join(words(alphabet, 350)) + "。"


def records(count):
    return [{"id": i, "name": f"user{i}", "tags": ["alpha", "beta", str(i % 7)], "score": i * 0.5,
             "active": i % 2 == 0, "nested": {"xs": [i, i + 1, i + 2], "note": None}} for i in range(count)]


def english_bytes(size):
    """`size` bytes of text built from a few thousand words: compressible as prose is."""
    vocabulary = words("abcdefghijklmnopqrstuvwxyz", 3000, seed=7)
    chosen = numbers(size // 5, seed=3, modulo=len(vocabulary))
    text = " ".join(vocabulary[i] for i in chosen).encode("ascii")
    while len(text) < size:
        text += text
    return text[:size]


# --- the operations -------------------------------------------------------------------------


def codec_ops(name, encoding, accelerator, text_of, size, count, codec_object):
    times = f" x{count}" if count > 1 else ""

    @op(f"{name}-decode", f"bytes.decode, {size}{times}")
    def decode():
        data = text_of().encode(encoding)

        def run():
            for _ in range(count):
                text = data.decode(encoding)
            return text

        assert run().encode(encoding) == data
        return run, made_by(accelerator, codec_object().decode)

    @op(f"{name}-encode", f"str.encode, {size}{times}")
    def encode():
        text = text_of()

        def run():
            for _ in range(count):
                data = text.encode(encoding)
            return data

        assert run().decode(encoding) == text
        return run, made_by(accelerator, codec_object().encode)


def charmap_codec():
    return types.SimpleNamespace(decode=codecs.charmap_decode, encode=codecs.charmap_encode)


def shift_jis_codec():
    import encodings.shift_jis

    return encodings.shift_jis.codec


codec_ops("cp1251", "cp1251", "_codecs (charmap)", cyrillic_text, "22 KB", 20, charmap_codec)
codec_ops("shift_jis", "shift_jis", "_codecs_jp", japanese_text, "4 KB", 20, shift_jis_codec)


def decimals():
    return [decimal.Decimal(f"{n % 100000}.{n % 997:03d}") for n in numbers(3000, seed=5)]


@op("decimal-divide", "3000 Decimal / Decimal, 28 digits")
def decimal_divide():
    values, divisor = decimals(), decimal.Decimal("7.3")

    def run():
        return [v / divisor for v in values]

    assert run()[0] == values[0] / divisor
    return run, made_by("_decimal", decimal.Decimal.__truediv__)


@op("decimal-quantize", "3000 Decimal.quantize(0.01)")
def decimal_quantize():
    values, cents = [v / 7 for v in decimals()], decimal.Decimal("0.01")

    def run():
        return [v.quantize(cents) for v in values]

    assert run()[1].as_tuple().exponent == -2
    return run, made_by("_decimal", decimal.Decimal.quantize)


@op("decimal-format", "3000 f'{Decimal:,.2f}'")
def decimal_format():
    values = [v / 7 for v in decimals()]

    def run():
        return [f"{v:,.2f}" for v in values]

    assert run()[0] == format(values[0], ",.2f") and "." in run()[0]
    return run, made_by("_decimal", decimal.Decimal.__format__)


@op("strptime", "500 datetime.strptime")
def strptime():
    stamps = [f"20{n % 30:02d}-{n % 12 + 1:02d}-{n % 28 + 1:02d} {n % 24:02d}:{n % 60:02d}:{n % 59:02d}"
              for n in numbers(500, seed=9)]

    def run():
        return [datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S") for s in stamps]

    assert run()[0].strftime("%Y-%m-%d %H:%M:%S") == stamps[0]
    found = made_by("_datetime", datetime.datetime.strptime)
    if calls_into("_strptime", "_strptime", lambda: datetime.datetime.strptime(stamps[0], "%Y-%m-%d %H:%M:%S")):
        found += " + _strptime.py"
    return run, found


def pickle_impl(fn):
    """`_pickle`'s function, or the .py that runs instead (python.wasm's memo guard wraps loads)."""
    if is_compiled(fn) or source_of(fn) == "pickle.py":
        return made_by("_pickle", fn)
    return f"{source_of(fn)} + {COMPILED} _pickle"


def pickled_structure():
    return {"records": [dict(r, point=(r["id"], r["score"])) for r in records(2000)],
            "index": {f"user{i}": i for i in range(2000)}}


@op("pickle-dumps", "2000 nested records")
def pickle_dumps():
    data = pickled_structure()

    def run():
        return pickle.dumps(data, protocol=4)

    assert pickle.loads(run()) == data
    return run, pickle_impl(pickle.dumps)


@op("pickle-loads", "2000 nested records")
def pickle_loads():
    data = pickled_structure()
    blob = pickle.dumps(data, protocol=4)

    def run():
        return pickle.loads(blob)

    assert run() == data
    return run, pickle_impl(pickle.loads)


@op("json-dumps", "2000 nested records")
def json_dumps():
    data = records(2000)

    def run():
        return json.dumps(data)

    assert json.loads(run()) == data
    encoder = json.encoder.c_make_encoder
    return run, f"{COMPILED} _json (encoder)" if encoder is not None else "json/encoder.py"


@op("json-loads", "2000 nested records")
def json_loads():
    data = records(2000)
    text = json.dumps(data)

    def run():
        return json.loads(text)

    assert run() == data
    scanner = json.scanner.c_make_scanner
    native = scanner is not None and json.scanner.make_scanner is scanner
    return run, f"{COMPILED} _json (scanner)" if native else "json/scanner.py"


@op("csv-reader", "5000 rows")
def csv_reader():
    lines = [f'{i},name{i},"quoted, {i}",{i * 0.25}\r\n' for i in range(5000)]

    def run():
        return list(csv.reader(lines))

    assert run()[3] == ["3", "name3", "quoted, 3", "0.75"]
    return run, made_by("_csv", csv.reader)


@op("heapq", "10000 heappush, 10000 heappop")
def heapq_push_pop():
    values = numbers(10000, seed=11)

    def run():
        heap = []
        for v in values:
            heapq.heappush(heap, v)
        return [heapq.heappop(heap) for _ in range(len(values))]

    assert run() == sorted(values)
    return run, made_by("_heapq", heapq.heappush, heapq.heappop)


@op("bisect-insort", "5000 insort into a list")
def bisect_insort():
    values = numbers(5000, seed=13)

    def run():
        ordered = []
        for v in values:
            bisect.insort(ordered, v)
        return ordered

    assert run() == sorted(values)
    return run, made_by("_bisect", bisect.insort)


@op("struct", "10000 pack + unpack('<iqd8s')")
def struct_pack_unpack():
    values = numbers(10000, seed=17)

    def run():
        return [struct.unpack("<iqd8s", struct.pack("<iqd8s", v, v * 3, v / 7, b"abcdefgh")) for v in values]

    assert run()[0][0] == values[0]
    return run, made_by("_struct", struct.pack, struct.unpack)


@op("random", "20000 random.random()")
def random_random():
    generator = random.Random(42)

    def run():
        draw = generator.random
        return [draw() for _ in range(20000)]

    assert 0.0 <= min(run()) < 1.0
    return run, made_by("_random", generator.random)


@op("lru_cache", "wrap, 10000 calls over 512 keys")
def lru_cache():
    keys = numbers(10000, seed=19, modulo=512)

    def square(n):
        return n * n

    def run():
        cached = functools.lru_cache(maxsize=256)(square)
        for k in keys:
            cached(k)
        return cached.cache_info()

    info = run()
    assert info.hits + info.misses == len(keys)
    return run, made_by("_functools", functools._lru_cache_wrapper)


@op("collections", "deque, OrderedDict, Counter of 20000")
def collections_ops():
    vocabulary = words("abcdefgh", 200, seed=23)
    text = [vocabulary[i] for i in numbers(20000, seed=29, modulo=len(vocabulary))]

    def run():
        queue = collections.deque()
        for i in range(10000):
            queue.append(i)
        while queue:
            queue.popleft()
        ordered = collections.OrderedDict()
        for i in range(5000):
            ordered[i] = i
            if i % 3 == 0:
                ordered.move_to_end(i // 2)
        for _ in range(1000):
            ordered.popitem(last=False)
        return collections.Counter(text).most_common(5), len(ordered)

    assert run()[1] == 4000
    return run, made_by("_collections", collections.deque.append, collections.OrderedDict.move_to_end,
                        collections._count_elements)


@op("etree-parse", "fromstring of 2000 items, findall")
def etree_parse():
    items = [f'<item id="{i}" kind="k{i % 5}"><name>item &amp; {i}</name><value>{i * 1.5}</value></item>'
             for i in range(2000)]
    document = "<catalog>" + "".join(items) + "</catalog>"

    def run():
        root = ET.fromstring(document)
        return [item.get("id") for item in root.findall("item")]

    assert len(run()) == 2000
    return run, made_by("_elementtree", ET.XMLParser.feed, ET.Element.findall)


@op("array", "20000 append('d'), tobytes, frombytes")
def array_ops():
    values = [v / 3 for v in numbers(20000, seed=31)]

    def run():
        doubles = array.array("d")
        for v in values:
            doubles.append(v)
        copy = array.array("d")
        copy.frombytes(doubles.tobytes())
        return copy

    assert run().tolist() == values
    return run, made_by("array", array.array.append, array.array.tobytes)


@op("unicodedata", "NFD + NFC of 5000 chars, category")
def unicodedata_ops():
    letters = "abcdefghijklmnopqrstuvwxyz" + "".join(chr(c) for c in range(0xC0, 0x180) if chr(c).isalpha())
    text = " ".join(words(letters, 700, seed=37))[:5000]

    def run():
        decomposed = unicodedata.normalize("NFD", text)
        return unicodedata.normalize("NFC", decomposed), [unicodedata.category(c) for c in text]

    assert run()[0] == unicodedata.normalize("NFC", text)
    return run, made_by("unicodedata", unicodedata.normalize, unicodedata.category)


@op("binascii", "(un)hexlify 256 KB, crc32 1 MB")
def binascii_ops():
    small, large = english_bytes(256 * 1024), english_bytes(1 << 20)

    def run():
        return binascii.unhexlify(binascii.hexlify(small)), binascii.crc32(large)

    assert run()[0] == small
    return run, made_by("binascii", binascii.hexlify, binascii.crc32)


@op("zlib", "compress (6) + decompress, 1 MB")
def zlib_ops():
    data = english_bytes(1 << 20)

    def run():
        return zlib.decompress(zlib.compress(data, 6))

    assert run() == data
    return run, made_by("zlib", zlib.compress, zlib.decompress)


def hash_op(name):
    @op(name, "1 MB")
    def hashing():
        data = english_bytes(1 << 20)
        constructor = getattr(hashlib, name)

        def run():
            return constructor(data).hexdigest()

        assert run() == hashlib.new(name, data).hexdigest()
        return run, made_by(getattr(constructor, "__module__", None) or "_hashlib", constructor)


hash_op("sha256")
hash_op("md5")


@op("statistics", "mean + stdev of 10000 floats")
def statistics_ops():
    values = [n / 1000 for n in numbers(10000, seed=41, modulo=100000)]

    def run():
        return statistics.mean(values), statistics.stdev(values)

    assert run()[1] > 0
    return run, made_by("_statistics", statistics.mean, statistics.stdev)


@op("re-search", "5000 Pattern.search (reference)")
def re_search():
    vocabulary = words("abcdefghijklmnopqrstuvwxyz", 500, seed=43)
    picks = numbers(5000 * 6, seed=47, modulo=len(vocabulary))
    lines = []
    for i in range(5000):
        line = [vocabulary[p] for p in picks[i * 6:i * 6 + 6]]
        if i % 4 == 0:
            line.insert(3, f"{line[0]}@{line[1]}.org")
        lines.append(" ".join(line))
    pattern = re.compile(r"(\w+)@(\w+)\.(?:com|org)\b")

    def run():
        return sum(1 for line in lines if pattern.search(line))

    assert run() == 1250
    return run, made_by("_sre", pattern.search)


# --- timing ---------------------------------------------------------------------------------


def measure(name, rounds):
    what, setup = OPS[name]
    try:
        run, implementation = setup()  # builds the input and checks one run's result
        best = None
        for _ in range(rounds):
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        return {"seconds": best, "implementation": implementation}
    except Exception as error:  # one operation's failure is its row's, not the sweep's
        return {"error": f"{type(error).__name__}: {error}"}


def main():
    rounds = int(sys.argv[1])
    names = sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else list(OPS)
    results = {name: measure(name, rounds) for name in names}
    json.dump({"version": sys.version.split()[0], "implementation": sys.implementation.name, "ops": results},
              sys.stdout)


if __name__ == "__main__":
    main()
