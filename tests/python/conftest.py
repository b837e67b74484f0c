"""Shared fixtures: netG.pth files made by the original GANomaly networks in
PyTorch 2.1.0, and the model files our exporter and `ganomaly init` write.

Run through scripts/test-python.sh, which sets up PyTorch, numpy,
safetensors and pytest in a cache outside the repository.
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Architectures made with the original code. "mnist" is the original's
# default MNIST setting with its (0.1307, 0.3081) normalisation; "rgb64" covers
# colour, isize 64, a small nz and extra layers.
CONFIGS = {
    "mnist": dict(isize=32, nc=1, nz=100, ngf=64, extralayers=0, mean=[0.1307], std=[0.3081], steps=3),
    "rgb64": dict(isize=64, nc=3, nz=20, ngf=16, extralayers=1, mean=[0.5, 0.45, 0.4], std=[0.25, 0.3, 0.35], steps=3),
}
DTYPES = ["f32", "f16", "i8"]


def run(cmd, **kw):
    """Run a command, echoing it, and fail the test with its output on error."""
    print("+", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, cwd=kw.pop("cwd", REPO), capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


@pytest.fixture(scope="session")
def bins(tmp_path_factory):
    """The exporter, goforward and (when present) the ganomaly CLI, built once."""
    d = tmp_path_factory.mktemp("bin")
    out = {}
    for name, pkg in [("exporter", "./exporter"), ("goforward", "./tests/python/goforward"), ("gotrain", "./tests/python/gotrain"), ("ganomaly", "./cmd/ganomaly")]:
        if not os.path.isdir(os.path.join(REPO, pkg)):
            continue
        path = str(d / name)
        run(["go", "build", "-o", path, pkg])
        out[name] = path
    return out


@pytest.fixture(scope="session", params=sorted(CONFIGS))
def original(request, tmp_path_factory, bins):
    """One architecture: the original code's netG.pth, its reference outputs,
    and our exports of it in every dtype (calibrated and tested on the
    generated image folders)."""
    name = request.param
    cfg = CONFIGS[name]
    d = tmp_path_factory.mktemp(name)
    cmd = [sys.executable, os.path.join(HERE, "make_original_netg.py"), "--out", str(d),
           "--isize", str(cfg["isize"]), "--nc", str(cfg["nc"]), "--nz", str(cfg["nz"]),
           "--ngf", str(cfg["ngf"]), "--extralayers", str(cfg["extralayers"]), "--steps", str(cfg["steps"]),
           "--mean", *map(str, cfg["mean"]), "--std", *map(str, cfg["std"])]
    run(cmd)
    with open(d / "reference.json") as f:
        ref = json.load(f)
    models = {}
    for dt in DTYPES:
        out = str(d / f"model-{dt}.safetensors")
        run([bins["exporter"], "-checkpoint", str(d / "netG.pth"), "-out", out, "-dtype", dt,
             "-mean", ",".join(map(str, cfg["mean"])), "-std", ",".join(map(str, cfg["std"])),
             "-isize", str(cfg["isize"]), "-nc", str(cfg["nc"]),
             "-calibrate", str(d / "calib"), "-test", str(d / "test"), "-dataset", "synthetic"])
        models[dt] = out
    return dict(name=name, cfg=cfg, dir=d, ref=ref, models=models)


@pytest.fixture(scope="session")
def init_models(tmp_path_factory, bins):
    """Model files written by `ganomaly init` in every dtype (empty when the
    CLI is not in the tree)."""
    if "ganomaly" not in bins:
        return {}
    d = tmp_path_factory.mktemp("init")
    out = {}
    for dt in DTYPES:
        path = str(d / f"init-{dt}.safetensors")
        run([bins["ganomaly"], "init", "-out", path, "-dtype", dt, "-isize", "32", "-nc", "3", "-nz", "50",
             "-ngf", "16", "-extralayers", "1", "-seed", "3"])
        out[dt] = path
    return out
