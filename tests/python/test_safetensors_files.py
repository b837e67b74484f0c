"""Our model files open in Python's `safetensors` package: tensor
names are the original PyTorch state-dict keys, shapes are PyTorch's, dtypes
are F32/F16/I8 as promised, I8 scales broadcast against their weights in
numpy, and the metadata JSON parses and describes the weights."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from safetensors import safe_open

import make_original_netg as original_code

NP_DTYPE = {"f32": np.float32, "f16": np.float16, "i8": np.int8}


def original_conv_shapes(arch):
    """{state-dict key: shape} of every convolution weight of the original NetG."""
    opt = SimpleNamespace(isize=arch["isize"], nc=arch["nc"], nz=arch["nz"], ngf=arch["ngf"],
                          extralayers=arch["extralayers"], ngpu=1)
    net = original_code.NetG(opt)
    return {k: tuple(v.shape) for k, v in net.state_dict().items() if v.dim() == 4}


def check_model_file(path, dtype):
    with safe_open(path, framework="np") as f:
        meta_kv = f.metadata()
        assert meta_kv["format"] == "ganomaly"
        assert int(meta_kv["format_version"]) >= 1
        meta = json.loads(meta_kv["ganomaly"])
        assert meta["kind"] == "model"
        arch = meta["arch"]
        nc = arch["nc"]
        norm = meta["normalization"]
        assert len(norm["mean"]) == nc and len(norm["std"]) == nc and all(s > 0 for s in norm["std"])

        convs = original_conv_shapes(arch)
        want = set(convs) | {k[: -len("weight")] + "bias" for k in convs}
        if dtype == "i8":
            want |= {k + "_scale" for k in convs}
        assert set(f.keys()) == want, f"extra {set(f.keys()) - want}, missing {want - set(f.keys())}"

        for k, shape in convs.items():
            w = f.get_tensor(k)
            assert w.shape == shape, (k, w.shape, shape)
            assert w.dtype == NP_DTYPE[dtype], (k, w.dtype)
            convt = k.endswith("-convt.weight")
            out_axis = 1 if convt else 0
            b = f.get_tensor(k[: -len("weight")] + "bias")
            assert b.dtype == np.float32 and b.shape == (shape[out_axis],)
            if dtype == "i8":
                s = f.get_tensor(k + "_scale")
                assert s.dtype == np.float32
                want_s = [1, 1, 1, 1]
                want_s[out_axis] = shape[out_axis]
                assert s.shape == tuple(want_s), (k, s.shape)
                deq = w.astype(np.float32) * s  # numpy broadcasting, as documented
                assert deq.shape == shape
                assert np.all(s > 0) and np.all(np.isfinite(deq))
                assert np.abs(w).max() <= 127
            else:
                assert np.all(np.isfinite(w))
        cal = meta.get("calibration")
        if cal is not None:
            assert math.isfinite(cal["threshold"])
            assert 0 <= cal["threshold_fpr"] <= 1 and cal["val_count"] > 0
            if cal.get("test"):
                assert 0 <= cal["test"]["auroc"] <= 1
    return meta


@pytest.mark.parametrize("dtype", ["f32", "f16", "i8"])
def test_exported_files(original, dtype):
    meta = check_model_file(original["models"][dtype], dtype)
    cfg = original["cfg"]
    for k in ("isize", "nc", "nz", "ngf", "extralayers"):
        assert meta["arch"][k] == cfg[k]
    mean = cfg["mean"] * (cfg["nc"] // len(cfg["mean"]))
    assert np.allclose(meta["normalization"]["mean"], mean)
    assert meta["calibration"]["val_count"] == 40
    assert meta["calibration"]["test"]["normals"] == 30
    assert meta["dataset"]["name"] == "synthetic"
    assert meta["training"]["epoch"] == original["ref"]["epoch"]


def test_quantised_weights_agree_with_f32(original):
    """F16 weights are the F32 weights rounded to half; I8 weights times their
    scale are within half a quantisation step of the F32 weights."""
    models = original["models"]
    with safe_open(models["f32"], framework="np") as f32, safe_open(models["f16"], framework="np") as f16, \
            safe_open(models["i8"], framework="np") as i8:
        for k in f32.keys():
            w = f32.get_tensor(k)
            np.testing.assert_array_equal(f16.get_tensor(k), w.astype(np.float16) if k.endswith(".weight") else w)
            if k.endswith(".weight"):
                s = i8.get_tensor(k + "_scale")
                deq = i8.get_tensor(k).astype(np.float32) * s
                assert np.all(np.abs(deq - w) <= s * 0.5 + 1e-7), k
            else:
                np.testing.assert_array_equal(i8.get_tensor(k), w)


@pytest.mark.parametrize("dtype", ["f32", "f16", "i8"])
def test_ganomaly_init_files(init_models, dtype):
    if not init_models:
        pytest.skip("cmd/ganomaly is not in the tree")
    meta = check_model_file(init_models[dtype], dtype)
    assert meta["arch"] == {"isize": 32, "nc": 3, "nz": 50, "ngf": 16, "extralayers": 1}
