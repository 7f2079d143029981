"""The SHA-2 constructors under the module name 3.14's `hashlib` imports them from.

The VM provides them as `_sha256` and `_sha512` (the pre-3.12 names); without this, hashlib's own
fallback constructors (`hashlib.__get_builtin_constructor('sha224')`) say the hash is unsupported.
"""

from _sha256 import sha224, sha256
from _sha512 import sha384, sha512
