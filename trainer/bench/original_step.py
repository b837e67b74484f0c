"""The original GANomaly training step (github.com/samet-akcay/ganomaly, the
authors' current lib/model.py; its networks are lib/networks.py as written in
tests/python/make_original_netg.py), reproduced from the facts in
shared/REFERENCE.md for a side-by-side speed comparison with the Go trainer on
the same libtorch 2.1.0, and for a loss cross-check on identical weights.

  python3 original_step.py bench [--steps N] [--batch 64] [--isize 32] [--nc 1]
      prints one JSON line: images per second of optimize_params() on random
      batches (no data loading), torch threads, torch version.
  python3 original_step.py e2e --dataroot DIR [--steps N] [--workers 8]
      the original's whole loop: torchvision MNIST (DIR/MNIST/raw), its transforms
      and DataLoader (needs torchvision 0.16.0 and pillow), normal digits only.
  python3 original_step.py losses STATE.safetensors BATCH.npy
      loads G and D from a trainer state file (netG.* / netD.* tensors), runs
      one optimize_params() on the batch and prints the losses as JSON.
"""

import json
import os
import sys
import time
from types import SimpleNamespace

import torch
import torch.nn as nn


# The networks, their initialisation and the L2 loss are the authors' code as
# written once for the repository's PyTorch interop tests; their constructors
# take the original's `opt`.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "python"))
import make_original_netg as original  # noqa: E402

weights_init, l2_loss = original.weights_init, original.l2_loss


def NetG(isize, nc, nz, ngf, extra):
    return original.NetG(SimpleNamespace(isize=isize, nc=nc, nz=nz, ngf=ngf, ngpu=1, extralayers=extra))


def NetD(isize, nc, ndf, extra):
    # the original's NetD takes its width from opt.ngf
    return original.NetD(SimpleNamespace(isize=isize, nc=nc, ngf=ndf, ngpu=1, extralayers=extra))


class Ganomaly:
    """lib/model.py's Ganomaly: optimize_params() exactly as the authors' code."""

    def __init__(self, isize=32, nc=1, nz=100, ngf=64, ndf=64, extra=0, batch=64, lr=2e-4, beta1=0.5):
        self.netg = NetG(isize, nc, nz, ngf, extra)
        self.netd = NetD(isize, nc, ndf, extra)
        self.netg.apply(weights_init)
        self.netd.apply(weights_init)
        self.l_adv, self.l_con, self.l_enc, self.l_bce = l2_loss, nn.L1Loss(), l2_loss, nn.BCELoss()
        self.real_label = torch.ones(size=(batch,), dtype=torch.float32)
        self.fake_label = torch.zeros(size=(batch,), dtype=torch.float32)
        self.w_adv, self.w_con, self.w_enc = 1, 50, 1
        self.netg.train()
        self.netd.train()
        self.optimizer_d = torch.optim.Adam(self.netd.parameters(), lr=lr, betas=(beta1, 0.999))
        self.optimizer_g = torch.optim.Adam(self.netg.parameters(), lr=lr, betas=(beta1, 0.999))

    def forward_g(self):
        self.fake, self.latent_i, self.latent_o = self.netg(self.input)

    def forward_d(self):
        self.pred_real, self.feat_real = self.netd(self.input)
        self.pred_fake, self.feat_fake = self.netd(self.fake.detach())

    def backward_g(self):
        self.err_g_adv = self.l_adv(self.netd(self.input)[1], self.netd(self.fake)[1])
        self.err_g_con = self.l_con(self.fake, self.input)
        self.err_g_enc = self.l_enc(self.latent_o, self.latent_i)
        self.err_g = self.err_g_adv * self.w_adv + self.err_g_con * self.w_con + self.err_g_enc * self.w_enc
        self.err_g.backward(retain_graph=True)

    def backward_d(self):
        self.err_d_real = self.l_bce(self.pred_real, self.real_label)
        self.err_d_fake = self.l_bce(self.pred_fake, self.fake_label)
        self.err_d = (self.err_d_real + self.err_d_fake) * 0.5
        self.err_d.backward()

    def reinit_d(self):
        self.netd.apply(weights_init)

    def optimize_params(self, x):
        self.input = x
        self.forward_g()
        self.forward_d()
        self.optimizer_g.zero_grad()
        self.backward_g()
        self.optimizer_g.step()
        self.optimizer_d.zero_grad()
        self.backward_d()
        self.optimizer_d.step()
        if self.err_d.item() < 1e-5:
            self.reinit_d()

    def losses(self):
        return {k: float(getattr(self, k)) for k in
                ("err_g", "err_g_adv", "err_g_con", "err_g_enc", "err_d", "err_d_real", "err_d_fake")}


def bench(argv):
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--isize", type=int, default=32)
    ap.add_argument("--nc", type=int, default=1)
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    m = Ganomaly(isize=a.isize, nc=a.nc, batch=a.batch)
    x = torch.rand(a.batch, a.nc, a.isize, a.isize) * 2 - 1
    for _ in range(a.warmup):
        m.optimize_params(x)
    t = time.perf_counter()
    for _ in range(a.steps):
        m.optimize_params(x)
    dt = time.perf_counter() - t
    print(json.dumps({"impl": "original (PyTorch)", "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "batch": a.batch, "isize": a.isize, "nc": a.nc, "steps": a.steps,
                      "images_per_s": a.batch * a.steps / dt}))


def e2e(argv):
    """The original's whole training loop on MNIST: torchvision's MNIST with
    Resize(isize), ToTensor, Normalize((0.1307,), (0.3081,)) and a DataLoader
    with batch 64, shuffle, drop_last and the original's default 8 workers,
    normal digits only; images per second over --steps batches after warm-up."""
    import argparse
    import torchvision.datasets as dset
    import torchvision.transforms as transforms
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataroot", required=True, help="folder with MNIST/raw/*-ubyte")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--abnormal_class", type=int, default=2)
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    transform = transforms.Compose([transforms.Resize(32), transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = dset.MNIST(root=a.dataroot, train=True, download=False, transform=transform)
    keep = ds.targets != a.abnormal_class
    ds.data, ds.targets = ds.data[keep], ds.targets[keep]
    loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True, num_workers=a.workers, drop_last=True)
    m = Ganomaly()
    n, t = 0, None
    for i, (x, _) in enumerate(loader):
        if i == a.warmup:
            t = time.perf_counter()
        m.optimize_params(x)
        if i >= a.warmup:
            n += x.shape[0]
        if i + 1 >= a.warmup + a.steps:
            break
    dt = time.perf_counter() - t
    print(json.dumps({"impl": "original (PyTorch) end to end", "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "workers": a.workers, "batches": a.steps, "images_per_s": n / dt}))


def losses(argv):
    import numpy as np
    from safetensors.numpy import load_file
    state, batch = argv[0], argv[1]
    t = load_file(state)
    x = torch.from_numpy(np.load(batch))
    b, nc, isize, _ = x.shape
    nz = t["netG.encoder1.main.final-256-1-conv.weight"].shape[0] if "netG.encoder1.main.final-256-1-conv.weight" in t else 100
    m = Ganomaly(isize=isize, nc=nc, nz=nz, batch=b)
    for net, prefix in ((m.netg, "netG."), (m.netd, "netD.")):
        sd = {k[len(prefix):]: torch.from_numpy(v.copy()) for k, v in t.items() if k.startswith(prefix)}
        net.load_state_dict(sd, strict=True)
    m.optimize_params(x)
    out = m.losses()
    # a second step: checks Adam's first update and the order G step → D step
    m.optimize_params(x)
    out2 = m.losses()
    print(json.dumps({"step1": out, "step2": out2}))


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("bench", "losses", "e2e"):
        print(__doc__)
        sys.exit(2)
    {"bench": bench, "losses": losses, "e2e": e2e}[sys.argv[1]](sys.argv[2:])
