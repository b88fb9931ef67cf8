"""The certificate and key reads the azure_standby role checks a given PEM pair with."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from tls_pairs import self_signed

from ansible_collections.bespin.platform.plugins.filter.tls_certificate import (
    tls_certificate_info,
    tls_private_key_id,
)


def test_a_certificate_is_read_with_its_names_and_expiry():
    certificate, _key = self_signed(sans=("standby.example.com", "dr.example.com"))
    info = tls_certificate_info(certificate, hostnames=["dr.example.com", "standby.example.com"])
    assert info["valid"] and not info["expired"]
    assert info["names"] == ["standby.example.com", "dr.example.com"]
    assert info["uncovered"] == []
    assert info["not_after"].endswith("+00:00")


def test_the_leaf_of_a_chain_is_read():
    leaf, _key = self_signed(sans=("leaf.example.com",))
    other, _key = self_signed(sans=("other.example.com",))
    assert tls_certificate_info(leaf + other)["names"] == ["leaf.example.com"]


def test_names_it_does_not_cover_are_listed():
    certificate, _key = self_signed(sans=("standby.example.com",))
    info = tls_certificate_info(certificate, hostnames=["standby.example.com", "dr.example.com"])
    assert info["uncovered"] == ["dr.example.com"]


@pytest.mark.parametrize(
    ("host", "covered"),
    [("www.example.com", True), ("WWW.Example.com.", True), ("example.com", False), ("a.b.example.com", False)],
)
def test_a_wildcard_covers_one_label(host, covered):
    certificate, _key = self_signed(sans=("*.example.com",))
    assert (tls_certificate_info(certificate, hostnames=[host])["uncovered"] == []) is covered


def test_without_dns_names_the_common_name_counts():
    certificate, _key = self_signed(common_name="cn.example.com", sans=())
    assert tls_certificate_info(certificate, hostnames=["cn.example.com"])["uncovered"] == []


def test_an_expired_certificate_is_told():
    certificate, _key = self_signed(days=-1)
    assert tls_certificate_info(certificate)["expired"] is True


@pytest.mark.parametrize(
    "text", ["", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", None]
)
def test_what_is_not_a_certificate_is_not_valid(text):
    assert tls_certificate_info(text, hostnames=["x.example.com"])["valid"] is False


def test_the_key_id_is_the_certificates_public_key():
    certificate, key = self_signed()
    other_certificate, _key = self_signed()
    assert tls_private_key_id(key) == tls_certificate_info(certificate)["public_key_sha256"]
    assert tls_private_key_id(key) != tls_certificate_info(other_certificate)["public_key_sha256"]


def test_rsa_and_traditional_keys_are_read():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate, _key = self_signed(key=key)
    traditional = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    assert traditional.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert tls_private_key_id(traditional) == tls_certificate_info(certificate)["public_key_sha256"]


def test_an_encrypted_or_broken_key_gives_nothing():
    key = ec.generate_private_key(ec.SECP256R1())
    encrypted = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    ).decode()
    _certificate, plain = self_signed()
    broken = plain.replace(plain.splitlines()[1], "A" * 64)
    assert tls_private_key_id(encrypted) == ""
    assert tls_private_key_id(broken) == ""
    assert tls_private_key_id("") == "" and tls_private_key_id(None) == ""
