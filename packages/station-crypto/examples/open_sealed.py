#!/usr/bin/env python3
"""Open a claimline sealed device key (RFC 9180 HPKE, base mode) with Python's `cryptography` (>= 47).

Usage: open_sealed.py CREDENTIALS_JSON STATION_KEY_PEM [PASSPHRASE]
Writes the device private key PEM to standard output. CREDENTIALS_JSON is a credentials answer of the
API (it holds serial, certificateId, stationId and sealedPrivateKey); STATION_KEY_PEM is the station's
PKCS#8 key file. Run by packages/station-crypto/test/python-interop.test.ts.
"""
import base64
import json
import struct
import sys

from cryptography.hazmat.primitives import hpke, serialization

SUITES = {
    "DHKEM-X25519-HKDF-SHA256/HKDF-SHA256/AES-256-GCM": hpke.KEM.X25519,
    "DHKEM-P256-HKDF-SHA256/HKDF-SHA256/AES-256-GCM": hpke.KEM.P256,
}


def binding_info(serial: str, certificate_id: str, station_id: str) -> bytes:
    fields = ["claimline-station-seal", "v2", serial, certificate_id, station_id]
    out = struct.pack(">I", len(fields))
    for field in fields:
        data = field.encode("utf-8")
        out += struct.pack(">I", len(data)) + data
    return out


def open_sealed(credentials: dict, station_key_pem: bytes, passphrase: bytes | None = None) -> bytes:
    sealed = credentials["sealedPrivateKey"]
    if sealed["v"] != 2:
        raise ValueError(f"sealed payload version {sealed['v']} is not HPKE (v2)")
    suite = hpke.Suite(SUITES[sealed["suite"]], hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    station_key = serialization.load_pem_private_key(station_key_pem, password=passphrase)
    # Single shot: the library takes enc ‖ ct as one message.
    message = base64.b64decode(sealed["enc"]) + base64.b64decode(sealed["ct"])
    info = binding_info(credentials["serial"], credentials["certificateId"], credentials["stationId"])
    return suite.decrypt(message, station_key, info=info)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        creds = json.load(f)
    with open(sys.argv[2], "rb") as f:
        key_pem = f.read()
    secret = sys.argv[3].encode() if len(sys.argv) == 4 else None
    sys.stdout.buffer.write(open_sealed(creds, key_pem, secret))
