"""The deployment files in deploy/: the systemd unit passes
`systemd-analyze verify` (with ExecStart pointed at the built binary, as the
unit's install steps put it in /usr/local/bin), and the nginx example is
valid nginx syntax."""
import os
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_systemd_unit_verifies():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not on this machine (apt-get install systemd)")
    with open(os.path.join(ROOT, "deploy", "spacelinks.service")) as f:
        unit = f.read()
    assert "ExecStart=/usr/local/bin/spacelinks serve" in unit
    d = tempfile.mkdtemp()
    path = os.path.join(d, "spacelinks.service")
    with open(path, "w") as f:
        f.write(unit.replace("/usr/local/bin/spacelinks", os.path.abspath(os.environ["SPACELINKS_BIN"])))
    out = subprocess.run([analyze, "verify", "--man=no", path], capture_output=True, text=True)
    # verify exits 0 on unknown keys and bad values too; it names them.
    complaints = [line for line in (out.stdout + out.stderr).splitlines() if "spacelinks.service" in line]
    assert out.returncode == 0 and not complaints, out.stdout + out.stderr


def test_nginx_example_is_valid():
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        pytest.fail("Debian's nginx is needed: apt-get install nginx (.ci/run installs it)")
    d = tempfile.mkdtemp()
    with open(os.path.join(ROOT, "deploy", "nginx.conf.example")) as f:
        site = f.read()
    # Self-signed stand-ins for the certificate paths.
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=files.example.com",
         "-keyout", key, "-out", cert, "-days", "1"],
        check=True, capture_output=True,
    )
    site = site.replace("/etc/letsencrypt/live/files.example.com/fullchain.pem", cert)
    site = site.replace("/etc/letsencrypt/live/files.example.com/privkey.pem", key)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\naccess_log off;\n{site}\n}}\n")
    out = subprocess.run([nginx, "-t", "-p", d, "-e", f"{d}/error.log", "-c", conf], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
