"""The `make run` demo: a few things a script does, inside the WASI sandbox."""
import hashlib
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass


@dataclass
class Word:
    text: str
    count: int


name = sys.argv[1] if len(sys.argv) > 1 else "world"
print(f"Hello, {name}, from Python {sys.version_info.major}.{sys.version_info.minor} on {sys.platform}")
text = open(os.path.join(os.path.dirname(__file__), "demo.py")).read()
words = [Word(w, c) for w, c in Counter(text.split()).most_common(3)]
print("most common words in this script:", json.dumps([w.__dict__ for w in words]))
print("sha256 of this script:", hashlib.sha256(text.encode()).hexdigest()[:16], "...")
try:
    open("/etc/passwd")
except OSError as e:
    print("outside the granted directory:", type(e).__name__)
