"""String building and formatting: f-strings, %, format, join, split, replace."""


def run():
    parts = []
    for i in range(60_000):
        parts.append(f"{i:05d}:{i * 1.5:.2f}")
        parts.append("%s-%d" % ("k", i))
        parts.append("{}/{}".format(i, "x"))
    text = ",".join(parts)
    pieces = text.split(",")
    return len(text.replace("0", "o").upper()) + len(pieces)
