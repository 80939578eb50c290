"""Throw-away Google service-account files the mock can trust (same fields as a Firebase console download)."""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def make_service_account(project_id: str, token_uri: str = GOOGLE_TOKEN_URI) -> dict[str, Any]:
    """Return a service-account dict with a fresh RSA-2048 key whose grants go to `token_uri`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    email = f"firebase-adminsdk-{secrets.token_hex(3)[:5]}@{project_id}.iam.gserviceaccount.com"
    # Key order and fields as in a file downloaded from the Firebase console.
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": str(secrets.randbelow(9 * 10**20) + 10**20),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{quote(email, safe='')}",
        "universe_domain": "googleapis.com",
    }


def write_service_account(info: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the JSON readable by its owner only, as a private key deserves even when throw-away."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(info, out, indent=2)
        out.write("\n")
    return target


def load_service_account(path: str | os.PathLike[str]) -> dict[str, Any]:
    info = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ValueError(f"{path} is not a service-account JSON file")
    return info


def public_key_pem(info: dict[str, Any]) -> bytes:
    """The public half of the account's key: what the token endpoint verifies assertions with."""
    return _public_half(info["private_key"])


@lru_cache(maxsize=64)
def _public_half(private_pem: str) -> bytes:
    # Loading an RSA private key costs ~0.1 s (key checks); apps and tests reuse the same few keys.
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
