"""re: compiling, searching, substituting and splitting."""

import re

TEXT = " ".join(f"item-{i} costs ${i * 3}.{i % 100:02d} on 2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(2_000))


def run():
    price = re.compile(r"\$(\d+)\.(\d{2})")
    date = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
    total = 0
    for _ in range(5):
        total += sum(int(m.group(1)) for m in price.finditer(TEXT))
        total += len(date.sub(r"\3/\2/\1", TEXT))
        total += len(re.split(r"\s+", TEXT))
    return total
