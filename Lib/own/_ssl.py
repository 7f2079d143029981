"""`_ssl` without TLS: python.wasm has no TLS library, and WASI preview 1 has no sockets to run it
over. Packages import `ssl` unconditionally (httpcore, pyjwt, uvicorn) to name its types and
constants, so the stdlib's `ssl` module imports on top of this one; making a context, a socket
or a memory BIO raises an OSError that says TLS is not available. `HAS_*` are all false.
"""

import errno as _errno

_UNAVAILABLE = "TLS is not available under WASI (python.wasm has no ssl library, and WASI preview 1 has no sockets)"


def _refuse(*args, **kwargs):
    raise OSError(_errno.ENOTSUP, _UNAVAILABLE)


OPENSSL_VERSION_NUMBER = 0
OPENSSL_VERSION_INFO = (0, 0, 0, 0, 0)
OPENSSL_VERSION = "none (TLS is not available under WASI)"
_OPENSSL_API_VERSION = (0, 0, 0, 0, 0)
_DEFAULT_CIPHERS = "DEFAULT"

HAS_SNI = HAS_ECDH = HAS_NPN = HAS_ALPN = HAS_PSK = HAS_PHA = False
HAS_SSLv2 = HAS_SSLv3 = HAS_TLSv1 = HAS_TLSv1_1 = HAS_TLSv1_2 = HAS_TLSv1_3 = False


class SSLError(OSError):
    """An error from the TLS layer."""

    library = reason = None

    def __str__(self):
        return self.args[1] if len(self.args) > 1 and isinstance(self.args[1], str) else super().__str__()


class SSLZeroReturnError(SSLError):
    pass


class SSLWantReadError(SSLError):
    pass


class SSLWantWriteError(SSLError):
    pass


class SSLSyscallError(SSLError):
    pass


class SSLEOFError(SSLError):
    pass


class SSLCertVerificationError(SSLError, ValueError):
    verify_code = verify_message = None


class _SSLContext:
    """No context can be made: there is no TLS library to make it with."""

    def __new__(cls, *args, **kwargs):
        _refuse()


class MemoryBIO:
    def __new__(cls, *args, **kwargs):
        _refuse()


class SSLSession:
    def __new__(cls, *args, **kwargs):
        _refuse()


# The two purposes `ssl.Purpose` looks up at import; any other object is unknown.
_OBJECTS = {
    "1.3.6.1.5.5.7.3.1": (129, "serverAuth", "TLS Web Server Authentication", "1.3.6.1.5.5.7.3.1"),
    "1.3.6.1.5.5.7.3.2": (130, "clientAuth", "TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2"),
}


def txt2obj(txt, name=False):
    for obj in _OBJECTS.values():
        if txt == obj[3] or (name and txt in obj[1:3]):
            return obj
    raise ValueError(f"unknown object '{txt}'")


def nid2obj(nid):
    for obj in _OBJECTS.values():
        if obj[0] == nid:
            return obj
    raise ValueError(f"unknown NID {nid}")


def RAND_status():
    return True


def RAND_add(string, entropy):
    pass


def RAND_bytes(n):
    import os

    return os.urandom(n)


def get_default_verify_paths():
    return ("SSL_CERT_FILE", "", "SSL_CERT_DIR", "")


# OpenSSL's numbering, which the stdlib's ssl turns into its enums.
PROTOCOL_SSLv23 = PROTOCOL_TLS = 2
PROTOCOL_TLSv1, PROTOCOL_TLSv1_1, PROTOCOL_TLSv1_2 = 3, 4, 5
PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER = 16, 17
PROTO_MINIMUM_SUPPORTED, PROTO_MAXIMUM_SUPPORTED = -2, -1
PROTO_SSLv3, PROTO_TLSv1, PROTO_TLSv1_1, PROTO_TLSv1_2, PROTO_TLSv1_3 = 0x300, 0x301, 0x302, 0x303, 0x304

OP_ALL = 0x80000054
OP_NO_SSLv2 = 0
OP_NO_SSLv3 = 0x2000000
OP_NO_TLSv1 = 0x4000000
OP_NO_TLSv1_1 = 0x10000000
OP_NO_TLSv1_2 = 0x8000000
OP_NO_TLSv1_3 = 0x20000000
OP_NO_COMPRESSION = 0x20000
OP_CIPHER_SERVER_PREFERENCE = 0x400000
OP_SINGLE_DH_USE = OP_SINGLE_ECDH_USE = 0
OP_NO_TICKET = 0x4000
OP_NO_RENEGOTIATION = 0x40000000
OP_ENABLE_MIDDLEBOX_COMPAT = 0x100000
OP_IGNORE_UNEXPECTED_EOF = 0x80
OP_LEGACY_SERVER_CONNECT = 0x4
OP_ENABLE_KTLS = 0x8

CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED = 0, 1, 2

VERIFY_DEFAULT = 0
VERIFY_CRL_CHECK_LEAF = 0x4
VERIFY_CRL_CHECK_CHAIN = 0xC
VERIFY_X509_STRICT = 0x20
VERIFY_ALLOW_PROXY_CERTS = 0x40
VERIFY_X509_TRUSTED_FIRST = 0x8000
VERIFY_X509_PARTIAL_CHAIN = 0x80000

HOSTFLAG_NEVER_CHECK_SUBJECT = 0x20
ENCODING_PEM, ENCODING_DER = 1, 2

SSL_ERROR_SSL = 1
SSL_ERROR_WANT_READ = 2
SSL_ERROR_WANT_WRITE = 3
SSL_ERROR_WANT_X509_LOOKUP = 4
SSL_ERROR_SYSCALL = 5
SSL_ERROR_ZERO_RETURN = 6
SSL_ERROR_WANT_CONNECT = 7
SSL_ERROR_EOF = 8
SSL_ERROR_INVALID_ERROR_CODE = 10

ALERT_DESCRIPTION_CLOSE_NOTIFY = 0
ALERT_DESCRIPTION_UNEXPECTED_MESSAGE = 10
ALERT_DESCRIPTION_BAD_RECORD_MAC = 20
ALERT_DESCRIPTION_RECORD_OVERFLOW = 22
ALERT_DESCRIPTION_DECOMPRESSION_FAILURE = 30
ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40
ALERT_DESCRIPTION_BAD_CERTIFICATE = 42
ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE = 43
ALERT_DESCRIPTION_CERTIFICATE_REVOKED = 44
ALERT_DESCRIPTION_CERTIFICATE_EXPIRED = 45
ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN = 46
ALERT_DESCRIPTION_ILLEGAL_PARAMETER = 47
ALERT_DESCRIPTION_UNKNOWN_CA = 48
ALERT_DESCRIPTION_ACCESS_DENIED = 49
ALERT_DESCRIPTION_DECODE_ERROR = 50
ALERT_DESCRIPTION_DECRYPT_ERROR = 51
ALERT_DESCRIPTION_PROTOCOL_VERSION = 70
ALERT_DESCRIPTION_INSUFFICIENT_SECURITY = 71
ALERT_DESCRIPTION_INTERNAL_ERROR = 80
ALERT_DESCRIPTION_USER_CANCELLED = 90
ALERT_DESCRIPTION_NO_RENEGOTIATION = 100
ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION = 110
ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE = 111
ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112
ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE = 113
ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE = 114
ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY = 115
