"""dict, list and set work: building, lookups, membership, updates."""


def run():
    table = {}
    seen = set()
    items = []
    for i in range(150_000):
        key = i % 4_096
        table[key] = table.get(key, 0) + i
        if key not in seen:
            seen.add(key)
        items.append(key)
    items.reverse()
    merged = {**table, **{k: -v for k, v in list(table.items())[:100]}}
    return len(merged) + sum(items[:1000]) + len(seen)
