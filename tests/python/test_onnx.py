"""`exporter -format onnx` checked with ONNX's own tools: onnx.checker on
every exported graph, and onnxruntime (CPU) against the pure-Go engine on the
same inputs: the scores `ganomaly score` prints for a labelled folder, and
x_hat, the latents and the heat map that the engine computes (goforward -images
feeds onnxruntime the engine's very input tensors, so preprocessing is not
part of the comparison)."""

import json
import os
import shutil
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import REPO, run

SCORE_RTOL = 1e-4  # relative score difference, onnxruntime vs `ganomaly score`
XTOL = 1e-4  # max abs difference of x_hat, the latents and diff
OUTPUTS = ["score", "x_hat", "latent_i", "latent_o", "diff"]
MNIST = os.path.join(REPO, "web", "models", "mnist.safetensors")
GALLERY = os.path.join(REPO, "web", "gallery")

# `ganomaly init` architectures for the checker: nc 1 and 3, isize 32 and 64,
# extra layers, each storage type.
INIT = {
    "g32": dict(isize=32, nc=1, nz=100, ngf=16, extralayers=0, dtype="f32"),
    "rgb64x2": dict(isize=64, nc=3, nz=20, ngf=8, extralayers=2, dtype="f32"),
    "g64-f16": dict(isize=64, nc=1, nz=32, ngf=8, extralayers=0, dtype="f16"),
    "rgb32x1-i8": dict(isize=32, nc=3, nz=50, ngf=16, extralayers=1, dtype="i8"),
}


def export_onnx(bins, src, out, *extra):
    run([bins["exporter"], "-format", "onnx", "-checkpoint", str(src), "-out", str(out), *extra])
    return str(out)


@pytest.fixture(scope="session")
def labelled(tmp_path_factory):
    """The gallery's MNIST digits as a labelled folder: the bundled model's
    abnormal digit (2) in 1.abnormal/, the rest in 0.normal/."""
    with open(os.path.join(GALLERY, "index.json")) as f:
        items = json.load(f)
    d = tmp_path_factory.mktemp("gallery")
    for sub in ("0.normal", "1.abnormal"):
        (d / sub).mkdir()
    for it in items:
        sub = "1.abnormal" if it["class"] == "2" else "0.normal"
        shutil.copy(os.path.join(GALLERY, it["file"]), d / sub / os.path.basename(it["file"]))
    return d


@pytest.fixture(scope="session")
def init_files(tmp_path_factory, bins):
    d = tmp_path_factory.mktemp("onnx-init")
    out = {}
    for name, a in INIT.items():
        sf = d / f"{name}.safetensors"
        run([bins["ganomaly"], "init", "-out", str(sf), "-isize", str(a["isize"]), "-nc", str(a["nc"]), "-nz", str(a["nz"]),
             "-ngf", str(a["ngf"]), "-extralayers", str(a["extralayers"]), "-dtype", a["dtype"], "-seed", "11"])
        out[name] = dict(arch=a, safetensors=str(sf), onnx=export_onnx(bins, sf, d / f"{name}.onnx"))
    return out


def check(path, arch):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)  # full_check also runs shape inference
    assert max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")) >= 13
    assert [i.name for i in m.graph.input] == ["x"]
    assert [o.name for o in m.graph.output] == OUTPUTS
    dims = lambda vi: [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
    n, nc, s, nz = "N", arch["nc"], arch["isize"], arch["nz"]
    assert dims(m.graph.input[0]) == [n, nc, s, s]
    want = {"score": [n], "x_hat": [n, nc, s, s], "latent_i": [n, nz], "latent_o": [n, nz], "diff": [n, s, s]}
    for o in m.graph.output:
        assert dims(o) == want[o.name], o.name
    return m


def props(m):
    return {p.key: p.value for p in m.metadata_props}


@pytest.mark.parametrize("name", sorted(INIT))
def test_checker_passes_init_models(init_files, name):
    f = init_files[name]
    m = check(f["onnx"], f["arch"])
    meta = json.loads(props(m)["ganomaly"])
    assert meta["arch"] == {k: f["arch"][k] for k in ("isize", "nc", "nz", "ngf", "extralayers")}
    ops = {n.op_type for n in m.graph.node}
    assert "BatchNormalization" not in ops  # folded, as in the model files
    assert ("Cast" in ops) == (f["arch"]["dtype"] == "f16")
    assert ("DequantizeLinear" in ops) == (f["arch"]["dtype"] == "i8")


def test_checker_passes_original_netg(original, bins, tmp_path):
    """The original code's netG.pth (unfolded BatchNorm) straight to ONNX."""
    cfg = original["cfg"]
    path = export_onnx(bins, original["dir"] / "netG.pth", tmp_path / "netG.onnx",
                       "-mean", ",".join(map(str, cfg["mean"])), "-std", ",".join(map(str, cfg["std"])))
    check(path, cfg)
    # The same numbers as the engine on the F32 model file of the same weights.
    cases = engine_on_images(original["models"]["f32"], sorted_images(original["dir"] / "test"), tmp_path)
    compare(path, cases)


def sorted_images(d):
    return sorted(str(p) for p in d.rglob("*.png"))


def engine_on_images(model, paths, tmp_path):
    out = tmp_path / "engine.json"
    run(["go", "run", "./tests/python/goforward", "-model", str(model), "-images", "-out", str(out), *paths])
    with open(out) as f:
        return json.load(f)["cases"]


def ort_run(path, x):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return dict(zip(OUTPUTS, sess.run(OUTPUTS, {"x": x})))


def compare(path, cases, pixels_norm=None):
    """onnxruntime on the engine's inputs, in one batch, against the engine."""
    x = np.stack([np.array(c["x"], np.float32) for c in cases])
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = x.reshape([len(cases), *sess.get_inputs()[0].shape[1:]])
    if pixels_norm is not None:
        mean, std = (np.array(v, np.float64).reshape(1, -1, 1, 1) for v in pixels_norm)
        x = (x.astype(np.float64) * std + mean).astype(np.float32)
    got = dict(zip(OUTPUTS, sess.run(OUTPUTS, {"x": x})))
    for i, c in enumerate(cases):
        rel = abs(float(got["score"][i]) - c["score"]) / abs(c["score"])
        assert rel <= SCORE_RTOL, f"{c['path']}: onnxruntime score {got['score'][i]} vs engine {c['score']} (relative {rel:.3g})"
        for k, ours in (("x_hat", "xhat"), ("latent_i", "latent_i"), ("latent_o", "latent_o"), ("diff", "diff")):
            d = np.max(np.abs(got[k][i].ravel().astype(np.float64) - np.array(c[ours], np.float64)))
            tol = XTOL if pixels_norm is None else 1e-3  # x rebuilt from float32 normalised values
            assert d <= tol, f"{c['path']}: {k} differs from the engine by {d:.3g} > {tol}"
    return got


def cli_scores(bins, model, folder):
    p = run([bins["ganomaly"], "score", "-model", str(model), "-format", "json", str(folder)])
    rows = json.loads(p.stdout)
    return {os.path.abspath(r["path"]): r for r in rows if "path" in r}, rows[-1].get("summary")


@pytest.mark.parametrize("which", ["init-f32", "mnist"])
def test_onnxruntime_scores_like_ganomaly_score(which, init_files, labelled, bins, tmp_path):
    """The labelled gallery folder: onnxruntime's scores equal `ganomaly
    score`'s (relative 1e-4), x_hat and the latents the engine's (1e-4
    absolute), and the threshold in metadata_props gives the CLI's verdicts."""
    if which == "mnist":
        src, arch = MNIST, dict(isize=32, nc=1, nz=100)
    else:
        src = tmp_path / "init.safetensors"
        arch = dict(isize=32, nc=3, nz=100)
        run([bins["ganomaly"], "init", "-out", str(src), "-isize", "32", "-nc", "3", "-seed", "4"])
    path = export_onnx(bins, src, tmp_path / "model.onnx")
    m = check(path, arch)
    meta = props(m)
    paths = sorted_images(labelled)
    cases = engine_on_images(src, paths, tmp_path)
    got = compare(path, cases)
    cli, summary = cli_scores(bins, src, labelled)
    threshold = float(meta["threshold"])
    assert threshold == cli[os.path.abspath(paths[0])]["threshold"]
    for i, p in enumerate(paths):
        r = cli[os.path.abspath(p)]
        rel = abs(float(got["score"][i]) - r["score"]) / abs(r["score"])
        assert rel <= SCORE_RTOL, f"{p}: onnxruntime {got['score'][i]} vs ganomaly score {r['score']} (relative {rel:.3g})"
        verdict = "anomalous" if got["score"][i] > threshold else "normal"
        assert verdict == r["verdict"], p
    if which == "mnist":
        # The bundled model is I8: exported as stored, through DequantizeLinear.
        assert "DequantizeLinear" in {n.op_type for n in m.graph.node}
        js = json.loads(meta["ganomaly"])
        assert js["calibration"]["threshold"] == threshold and js["dataset"]["name"] == "mnist"
        assert summary and summary["auroc"] > 0.5  # digit 2 is the bundled model's anomaly


def test_pixels_input_normalises_inside_the_graph(labelled, bins, tmp_path):
    """-pixels: feed p in [0, 1]; same scores as feeding the normalised x."""
    path = export_onnx(bins, MNIST, tmp_path / "pixels.onnx", "-pixels")
    m = check(path, dict(isize=32, nc=1, nz=100))
    assert props(m)["input"] == "pixels"
    cases = engine_on_images(MNIST, sorted_images(labelled)[:8], tmp_path)
    compare(path, cases, pixels_norm=(json.loads(props(m)["mean"]), json.loads(props(m)["std"])))


def test_dynamic_batch(init_files):
    f = init_files["g32"]
    x = np.random.default_rng(0).uniform(-1, 1, (5, 1, 32, 32)).astype(np.float32)
    five = ort_run(f["onnx"], x)
    one = ort_run(f["onnx"], x[2:3])
    assert five["score"].shape == (5,) and five["diff"].shape == (5, 32, 32)
    np.testing.assert_allclose(one["score"][0], five["score"][2], rtol=1e-5)


def test_bad_input_writes_nothing(bins, tmp_path):
    """A model file newer than the exporter understands, and weights the
    graph cannot express, get a clear error and no file."""
    src = tmp_path / "future.safetensors"
    with open(MNIST, "rb") as f:
        b = f.read()
    n = int.from_bytes(b[:8], "little")
    header = json.loads(b[8:8 + n])
    meta = json.loads(header["__metadata__"]["ganomaly"])
    meta["format_version"] = 99
    header["__metadata__"]["ganomaly"] = json.dumps(meta)
    header["__metadata__"]["format_version"] = "99"
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    src.write_bytes(len(h).to_bytes(8, "little") + h + b[8 + n:])
    out = tmp_path / "future.onnx"
    p = subprocess.run([bins["exporter"], "-format", "onnx", "-checkpoint", str(src), "-out", str(out)], capture_output=True, text=True)
    assert p.returncode == 1 and "newer than this program understands" in p.stderr, p.stderr
    assert not out.exists() and not list(tmp_path.glob(".future.onnx*"))
