"""The throw-away service account: shaped like Google's, accepted by firebase-admin, trusted by `serve`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from firebase_admin import credentials

from mobile_mock.__main__ import main

GOOGLE_KEYS = ["type", "project_id", "private_key_id", "private_key", "client_email", "client_id", "auth_uri",
               "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url", "universe_domain"]


def test_the_file_has_googles_fields_and_a_pkcs8_rsa_2048_key(service_account: dict[str, Any]) -> None:
    assert list(service_account) == GOOGLE_KEYS
    assert service_account["type"] == "service_account"
    assert service_account["universe_domain"] == "googleapis.com"
    assert service_account["client_email"].endswith("@demo-swm.iam.gserviceaccount.com")
    assert service_account["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n")  # PKCS8, not PKCS1
    key = serialization.load_pem_private_key(service_account["private_key"].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048

    certificate = credentials.Certificate(service_account)
    assert (certificate.project_id, certificate.service_account_email) == (
        "demo-swm", service_account["client_email"])


def test_the_command_writes_a_private_file_and_keeps_existing_ones(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "sa.json"
    args = ["make-service-account", "--out", str(out), "--project-id", "demo-swm",
            "--token-uri", "http://127.0.0.1:8102/token"]

    assert main(args) == 0
    info = json.loads(out.read_text())
    assert (info["project_id"], info["token_uri"]) == ("demo-swm", "http://127.0.0.1:8102/token")
    assert out.stat().st_mode & 0o777 == 0o600
    assert main(args) == 1 and "exists" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0 and json.loads(out.read_text()) != info


def test_serve_trusts_the_file_it_is_given(tmp_path: Path, sign: Callable[..., str]) -> None:
    path = tmp_path / "sa.json"
    main(["make-service-account", "--out", str(path), "--token-uri", "http://127.0.0.1:1/token"])
    info = json.loads(path.read_text())
    server = subprocess.Popen(
        [sys.executable, "-m", "mobile_mock", "serve", "--port", "0", "--service-account", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        base_url = line.rsplit(" ", 1)[-1].strip()
        assert base_url.startswith("http://127.0.0.1:"), line

        grant = httpx.post(f"{base_url}/token", timeout=5, data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": sign(info)})

        assert grant.status_code == 200 and grant.json()["token_type"] == "Bearer"
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
        if server.stdout:
            server.stdout.close()
        if server.stderr:
            server.stderr.close()
