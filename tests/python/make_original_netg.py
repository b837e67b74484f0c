"""Make a netG.pth exactly as the original GANomaly code does, plus a reference.

The networks below are the authors' lib/networks.py (github.com/samet-akcay/ganomaly):
the same module classes, the same nn.Sequential `main` with the same add_module
names, the same weights_init, and a few training steps of the authors' current
optimize_params (G step with adversarial feature matching, L1 contextual and L2
encoder losses weighted 1/50/1, then the D step with BCE; Adam 2e-4, betas
0.5/0.999), so that BatchNorm running statistics and weights are those of a
real, if short, training run. The checkpoint is saved the way the original
saves it: torch.save({'epoch': n, 'state_dict': netG.state_dict()}, 'netG.pth').

Outputs in --out:
  netG.pth            the zip format written by torch >= 1.6 (default of torch.save)
  netG_legacy.pth     the same state dict in the pre-1.6 format
  netD.pth            the discriminator, to check that the exporter refuses it
  cases/case-N.png    images of exactly isize x isize (no resizing needed)
  calib/*.png         normal-looking images for -calibrate
  test/0.normal/*.png, test/1.abnormal/*.png   a labelled folder for -test
  reference.json      architecture, normalisation, and for every case the
                      input tensor x, and eval-mode x_hat, latent_i, latent_o
                      and score = mean((latent_i - latent_o)^2)

Usage: python3 make_original_netg.py --out DIR [--isize 32 --nc 1 --nz 100
       --ngf 64 --extralayers 0 --mean 0.1307 --std 0.3081 --steps 5 --seed 0]
"""

import argparse
import json
import os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image


# ---------------------------------------------------------------- the original networks


def weights_init(mod):
    """The original custom weights initialization called on netG and netD."""
    classname = mod.__class__.__name__
    if classname.find('Conv') != -1:
        mod.weight.data.normal_(0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        mod.weight.data.normal_(1.0, 0.02)
        mod.bias.data.fill_(0)


class Encoder(nn.Module):
    """DCGAN encoder network, as in the original."""

    def __init__(self, isize, nz, nc, ndf, ngpu, n_extra_layers=0, add_final_conv=True):
        super(Encoder, self).__init__()
        self.ngpu = ngpu
        assert isize % 16 == 0, "isize has to be a multiple of 16"

        main = nn.Sequential()
        # input is nc x isize x isize
        main.add_module('initial-conv-{0}-{1}'.format(nc, ndf),
                        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False))
        main.add_module('initial-relu-{0}'.format(ndf),
                        nn.LeakyReLU(0.2, inplace=True))
        csize, cndf = isize / 2, ndf

        # Extra layers
        for t in range(n_extra_layers):
            main.add_module('extra-layers-{0}-{1}-conv'.format(t, cndf),
                            nn.Conv2d(cndf, cndf, 3, 1, 1, bias=False))
            main.add_module('extra-layers-{0}-{1}-batchnorm'.format(t, cndf),
                            nn.BatchNorm2d(cndf))
            main.add_module('extra-layers-{0}-{1}-relu'.format(t, cndf),
                            nn.LeakyReLU(0.2, inplace=True))

        while csize > 4:
            in_feat = cndf
            out_feat = cndf * 2
            main.add_module('pyramid-{0}-{1}-conv'.format(in_feat, out_feat),
                            nn.Conv2d(in_feat, out_feat, 4, 2, 1, bias=False))
            main.add_module('pyramid-{0}-batchnorm'.format(out_feat),
                            nn.BatchNorm2d(out_feat))
            main.add_module('pyramid-{0}-relu'.format(out_feat),
                            nn.LeakyReLU(0.2, inplace=True))
            cndf = cndf * 2
            csize = csize / 2

        # state size. K x 4 x 4
        if add_final_conv:
            main.add_module('final-{0}-{1}-conv'.format(cndf, 1),
                            nn.Conv2d(cndf, nz, 4, 1, 0, bias=False))

        self.main = main

    def forward(self, input):
        if self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output


class Decoder(nn.Module):
    """DCGAN decoder network, as in the original."""

    def __init__(self, isize, nz, nc, ngf, ngpu, n_extra_layers=0):
        super(Decoder, self).__init__()
        self.ngpu = ngpu
        assert isize % 16 == 0, "isize has to be a multiple of 16"

        cngf, tisize = ngf // 2, 4
        while tisize != isize:
            cngf = cngf * 2
            tisize = tisize * 2

        main = nn.Sequential()
        # input is Z, going into a convolution
        main.add_module('initial-{0}-{1}-convt'.format(nz, cngf),
                        nn.ConvTranspose2d(nz, cngf, 4, 1, 0, bias=False))
        main.add_module('initial-{0}-batchnorm'.format(cngf),
                        nn.BatchNorm2d(cngf))
        main.add_module('initial-{0}-relu'.format(cngf),
                        nn.ReLU(True))

        csize, _ = 4, cngf
        while csize < isize // 2:
            main.add_module('pyramid-{0}-{1}-convt'.format(cngf, cngf // 2),
                            nn.ConvTranspose2d(cngf, cngf // 2, 4, 2, 1, bias=False))
            main.add_module('pyramid-{0}-batchnorm'.format(cngf // 2),
                            nn.BatchNorm2d(cngf // 2))
            main.add_module('pyramid-{0}-relu'.format(cngf // 2),
                            nn.ReLU(True))
            cngf = cngf // 2
            csize = csize * 2

        # Extra layers
        for t in range(n_extra_layers):
            main.add_module('extra-layers-{0}-{1}-conv'.format(t, cngf),
                            nn.Conv2d(cngf, cngf, 3, 1, 1, bias=False))
            main.add_module('extra-layers-{0}-{1}-batchnorm'.format(t, cngf),
                            nn.BatchNorm2d(cngf))
            main.add_module('extra-layers-{0}-{1}-relu'.format(t, cngf),
                            nn.ReLU(True))

        main.add_module('final-{0}-{1}-convt'.format(cngf, nc),
                        nn.ConvTranspose2d(cngf, nc, 4, 2, 1, bias=False))
        main.add_module('final-{0}-tanh'.format(nc),
                        nn.Tanh())
        self.main = main

    def forward(self, input):
        if self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output


class NetD(nn.Module):
    """Discriminator network, as in the original."""

    def __init__(self, opt):
        super(NetD, self).__init__()
        model = Encoder(opt.isize, 1, opt.nc, opt.ngf, opt.ngpu, opt.extralayers)
        layers = list(model.main.children())

        self.features = nn.Sequential(*layers[:-1])
        self.classifier = nn.Sequential(layers[-1])
        self.classifier.add_module('Sigmoid', nn.Sigmoid())

    def forward(self, x):
        features = self.features(x)
        features = features
        classifier = self.classifier(features)
        classifier = classifier.view(-1, 1).squeeze(1)
        return classifier, features


class NetG(nn.Module):
    """Generator network, as in the original."""

    def __init__(self, opt):
        super(NetG, self).__init__()
        self.encoder1 = Encoder(opt.isize, opt.nz, opt.nc, opt.ngf, opt.ngpu, opt.extralayers)
        self.decoder = Decoder(opt.isize, opt.nz, opt.nc, opt.ngf, opt.ngpu, opt.extralayers)
        self.encoder2 = Encoder(opt.isize, opt.nz, opt.nc, opt.ngf, opt.ngpu, opt.extralayers)

    def forward(self, x):
        latent_i = self.encoder1(x)
        gen_imag = self.decoder(latent_i)
        latent_o = self.encoder2(gen_imag)
        return gen_imag, latent_i, latent_o


def l2_loss(input, target, size_average=True):
    """The original's L2 loss."""
    if size_average:
        return torch.mean(torch.pow((input - target), 2))
    return torch.pow((input - target), 2)


def optimize_params(netg, netd, optimizer_g, optimizer_d, batch, w_adv=1, w_con=50, w_enc=1):
    """One training step of the authors' current code (model.py
    optimize_params: forward_g, forward_d, backward_g, G step, backward_d, D
    step, D re-initialised when err_d < 1e-5). Returns err_g, err_d and the
    parts (adv, con, enc, d_real, d_fake) as Python floats."""
    l_adv, l_con, l_enc, l_bce = l2_loss, nn.L1Loss(), l2_loss, nn.BCELoss()
    # forward_g, forward_d
    fake, latent_i, latent_o = netg(batch)
    pred_real, feat_real = netd(batch)
    pred_fake, feat_fake = netd(fake.detach())
    # backward_g
    optimizer_g.zero_grad()
    err_g_adv = l_adv(netd(batch)[1], netd(fake)[1])
    err_g_con = l_con(fake, batch)
    err_g_enc = l_enc(latent_o, latent_i)
    err_g = err_g_adv * w_adv + err_g_con * w_con + err_g_enc * w_enc
    err_g.backward(retain_graph=True)
    optimizer_g.step()
    # backward_d
    optimizer_d.zero_grad()
    err_d_real = l_bce(pred_real, torch.ones(pred_real.shape))
    err_d_fake = l_bce(pred_fake, torch.zeros(pred_fake.shape))
    err_d = (err_d_real + err_d_fake) * 0.5
    err_d.backward()
    optimizer_d.step()
    if err_d.item() < 1e-5:
        netd.apply(weights_init)
    return tuple(v.item() for v in (err_g, err_d, err_g_adv, err_g_con, err_g_enc, err_d_real, err_d_fake))


# ---------------------------------------------------------------- data


def synthetic_images(rng, n, isize, nc, abnormal=False):
    """uint8 HWC images: smooth blobs (normal) or blobs plus a bright bar
    and noise (abnormal)."""
    yy, xx = np.mgrid[0:isize, 0:isize].astype(np.float64) / isize
    out = []
    for _ in range(n):
        img = np.zeros((isize, isize, nc))
        for c in range(nc):
            cx, cy = rng.uniform(0.3, 0.7, size=2)
            r = rng.uniform(0.15, 0.3)
            img[:, :, c] = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        if abnormal:
            x0 = rng.integers(0, isize - isize // 4)
            img[:, x0:x0 + isize // 8, :] = 1.0
            img += rng.uniform(0, 0.5, size=img.shape)
        out.append(np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8))
    return out


def save_png(path, img):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if img.shape[2] == 1:
        Image.fromarray(img[:, :, 0], mode='L').save(path)
    else:
        Image.fromarray(img, mode='RGB').save(path)


def to_tensor(imgs, mean, std):
    """torchvision's ToTensor then Normalize, in float32 as the original."""
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float().div(255)
    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return (x - m) / s


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True)
    ap.add_argument('--isize', type=int, default=32)
    ap.add_argument('--nc', type=int, default=1)
    ap.add_argument('--nz', type=int, default=100)
    ap.add_argument('--ngf', type=int, default=64)
    ap.add_argument('--extralayers', type=int, default=0)
    ap.add_argument('--mean', type=float, nargs='+', default=[0.1307])
    ap.add_argument('--std', type=float, nargs='+', default=[0.3081])
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--batchsize', type=int, default=16)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--cases', type=int, default=4)
    ap.add_argument('--calib', type=int, default=40, help='images in calib/')
    ap.add_argument('--test', type=int, default=30, help='images in each of test/0.normal and test/1.abnormal')
    opt = ap.parse_args()
    opt.ngpu = 1
    opt.ndf = opt.ngf
    if len(opt.mean) == 1:
        opt.mean = opt.mean * opt.nc
    if len(opt.std) == 1:
        opt.std = opt.std * opt.nc

    torch.manual_seed(opt.seed)
    rng = np.random.default_rng(opt.seed)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    netg = NetG(opt)
    netg.apply(weights_init)
    netd = NetD(opt)
    netd.apply(weights_init)

    optimizer_d = torch.optim.Adam(netd.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_g = torch.optim.Adam(netg.parameters(), lr=2e-4, betas=(0.5, 0.999))

    netg.train()
    netd.train()
    for step in range(opt.steps):
        batch = to_tensor(synthetic_images(rng, opt.batchsize, opt.isize, opt.nc), opt.mean, opt.std)
        err_g, err_d = optimize_params(netg, netd, optimizer_g, optimizer_d, batch)[:2]
        print(f"step {step}: err_g {err_g:.4f} err_d {err_d:.4f}")

    os.makedirs(opt.out, exist_ok=True)
    epoch = 1
    torch.save({'epoch': epoch, 'state_dict': netg.state_dict()}, os.path.join(opt.out, 'netG.pth'))
    torch.save({'epoch': epoch, 'state_dict': netg.state_dict()}, os.path.join(opt.out, 'netG_legacy.pth'),
               _use_new_zipfile_serialization=False)
    torch.save({'epoch': epoch, 'state_dict': netd.state_dict()}, os.path.join(opt.out, 'netD.pth'))

    # Images: the reference cases, a calibration folder and a labelled folder.
    cases = synthetic_images(rng, opt.cases - 1, opt.isize, opt.nc) + \
        synthetic_images(rng, 1, opt.isize, opt.nc, abnormal=True)
    for i, img in enumerate(cases):
        save_png(os.path.join(opt.out, 'cases', f'case-{i}.png'), img)
    for i, img in enumerate(synthetic_images(rng, opt.calib, opt.isize, opt.nc)):
        save_png(os.path.join(opt.out, 'calib', f'calib-{i:03d}.png'), img)
    for i, img in enumerate(synthetic_images(rng, opt.test, opt.isize, opt.nc)):
        save_png(os.path.join(opt.out, 'test', '0.normal', f'n-{i:03d}.png'), img)
    for i, img in enumerate(synthetic_images(rng, opt.test, opt.isize, opt.nc, abnormal=True)):
        save_png(os.path.join(opt.out, 'test', '1.abnormal', f'a-{i:03d}.png'), img)

    # Eval-mode outputs: BatchNorm with running statistics, as a single-image
    # engine must compute them.
    netg.eval()
    ref = {
        'torch_version': torch.__version__,
        'arch': {'isize': opt.isize, 'nc': opt.nc, 'nz': opt.nz, 'ngf': opt.ngf, 'extralayers': opt.extralayers},
        'mean': opt.mean, 'std': opt.std, 'epoch': epoch,
        'state_dict': {k: list(v.shape) for k, v in netg.state_dict().items()},
        'cases': [],
    }
    with torch.no_grad():
        x = to_tensor(cases, opt.mean, opt.std)
        xhat, latent_i, latent_o = netg(x)
        score = torch.mean(torch.pow((latent_i - latent_o), 2), dim=1).view(-1)
        for i in range(len(cases)):
            ref['cases'].append({
                'png': f'cases/case-{i}.png',
                'x': x[i].reshape(-1).tolist(),
                'xhat': xhat[i].reshape(-1).tolist(),
                'latent_i': latent_i[i].reshape(-1).tolist(),
                'latent_o': latent_o[i].reshape(-1).tolist(),
                'score': score[i].item(),
            })
    with open(os.path.join(opt.out, 'reference.json'), 'w') as f:
        json.dump(ref, f)
    print(f"wrote {opt.out}: netG.pth (epoch {epoch}), {len(cases)} reference cases, scores {score.tolist()}")


if __name__ == '__main__':
    main()
