"""What a project names of itself in ``accord.toml``: its name, trust domain and token issuer.

The toolkit takes these from the project instead of knowing the shop: the trust domain of
``accord certs`` and ``accord up``, and the service whose URL every process gets as
``ACCORD_ISSUER_URL`` (``accord up`` over TLS or ``--plain``, and the k8s manifests).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accord import project
from accord.supervisor import Supervisor

ROOT = Path(__file__).resolve().parents[2]

SERVICES = """
[services.keys]
app = "x:y"
port = 18104

[services.api]
app = "x:y"
port = 18101
depends_on = ["keys"]
"""


def write(folder: Path, section: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "accord.toml"
    path.write_text(f"[project]\n{section}\n{SERVICES}", encoding="utf-8")
    return path


def test_the_trust_domain_comes_from_the_name_or_is_said(tmp_path: Path) -> None:
    named = project.load(write(tmp_path / "a", 'name = "Billing Suite"'), environ={})
    assert (named.name, named.trust_domain) == ("Billing Suite", "billing-suite.local")
    said = project.load(write(tmp_path / "b", 'trust_domain = "corp.example"'), environ={})
    assert said.trust_domain == "corp.example"
    unnamed = project.load(write(tmp_path / "My_Folder", ""), environ={})
    assert (unnamed.name, unnamed.trust_domain) == ("My_Folder", "my-folder.local")


def test_a_bad_trust_domain_or_issuer_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(project.ProjectError, match=r"trust_domain: .*not a valid trust domain"):
        project.load(write(tmp_path / "a", 'trust_domain = "Not Valid"'), environ={})
    with pytest.raises(project.ProjectError, match="token_issuer names unknown service 'auth'"):
        project.load(write(tmp_path / "b", 'token_issuer = "auth"'), environ={})


@pytest.mark.parametrize("tls", [False, True])
def test_every_service_gets_the_issuer_url_as_the_supervisor_serves_it(
    tmp_path: Path, tls: bool
) -> None:
    loaded = project.load(write(tmp_path, 'token_issuer = "keys"'), environ={})
    sup = Supervisor(loaded, environ={}, tls_dir=tmp_path / "certs" if tls else None)
    scheme = "https" if tls else "http"
    for name in ("keys", "api"):
        assert sup.service_env(name)["ACCORD_ISSUER_URL"] == f"{scheme}://127.0.0.1:18104"


def test_without_an_issuer_no_service_is_told_one(tmp_path: Path) -> None:
    loaded = project.load(write(tmp_path, ""), environ={})
    assert "ACCORD_ISSUER_URL" not in Supervisor(loaded, environ={}).service_env("api")


def test_the_shop_names_its_trust_domain_and_issuer() -> None:
    shop = project.load(ROOT / "accord.toml", environ={})
    assert (shop.trust_domain, shop.token_issuer) == ("shop.local", "identity")
