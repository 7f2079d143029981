"""json: encoding and decoding a nested document."""

import json

DOCUMENT = {
    "users": [
        {"id": i, "name": f"user{i}", "tags": ["a", "b", "c"], "score": i * 0.5, "active": i % 2 == 0}
        for i in range(500)
    ],
    "meta": {"version": 3, "source": "bench"},
}


def run():
    total = 0
    for _ in range(15):
        text = json.dumps(DOCUMENT, sort_keys=True)
        total += len(json.loads(text)["users"])
    return total
