"""The PyTorch twin of a complementary method's training step (ours and its ablations).

Mirrors src/method/complementary-network.ts and the modules it uses, op for op where it matters for
the loss: complementary dropout (masks given, or drawn like complementary-dropout.ts for timing),
the shared backbone (x_A and x_B as one batch), CAAM, SSAM (local over the (2r+1)^2 window for r > 0,
the N x N form for r = 0), two heads (3x3 conv + ReLU, 1x1 conv to class maps), and the loss:
CE of both branches, the full-image CE (three-pass), the gated fusion loss on bounded or min-max maps
against the mosaic or union target. Weights are kept in tfjs's layouts where tfjs multiplies
matrices (CAAM, SSAM), so they load as they are; convolutions use PyTorch's NCHW.
"""
import json
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_step import leaf_layers


class Complementary(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        layers, c = leaf_layers(spec["layers"])
        if c != spec["channels"]:
            raise ValueError(f"the backbone ends with {c} channels, the spec says {spec['channels']}")
        self.backbone = nn.Sequential(*layers)
        glorot = lambda *shape: nn.Parameter(nn.init.xavier_uniform_(torch.empty(*shape)))
        if spec["caam"]:
            hidden = max(1, (2 * c) // spec["caam"]["reduction"])
            self.w1, self.b1 = glorot(2 * c, hidden), nn.Parameter(torch.zeros(hidden))
            self.wa, self.ba = glorot(hidden, c), nn.Parameter(torch.zeros(c))
            self.wb, self.bb = glorot(hidden, c), nn.Parameter(torch.zeros(c))
        if spec["ssam"]:
            d = max(1, c // spec["ssam"]["queryReduction"])
            self.wq, self.wk, self.wv = glorot(c, d), glorot(c, d), glorot(c, c)
            self.gamma = nn.Parameter(torch.zeros(1))
        classes, width = spec["classes"], spec["headWidth"]
        self.heads = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(c, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, classes, 1)) for _ in range(2)]
        )

    def features(self, xa, xb, backbone_grad=True):
        def run(x):
            if backbone_grad:
                return self.backbone(x)
            with torch.no_grad():
                return self.backbone(x)

        if xb is xa:
            fa = fb = run(xa)
        else:
            fa, fb = torch.split(run(torch.cat([xa, xb])), xa.shape[0])
        if self.spec["caam"]:
            z = torch.cat([fa.mean((2, 3)), fb.mean((2, 3))], 1)
            u = torch.relu(z @ self.w1 + self.b1)
            a = torch.sigmoid(u @ self.wa + self.ba)
            b = torch.sigmoid(u @ self.wb + self.bb)
            fa, fb = fa * a[:, :, None, None], fb * b[:, :, None, None]
        return fa, fb

    def ssam(self, f):
        n, c, h, w = f.shape
        cells = f.permute(0, 2, 3, 1).reshape(n, h * w, c)
        q, k, v = cells @ self.wq, cells @ self.wk, cells @ self.wv
        d = q.shape[2]
        r = self.spec["ssam"]["window"]
        if r > 0:
            side = 2 * r + 1
            unfold = lambda t: F.unfold(t.transpose(1, 2).reshape(n, -1, h, w), side, padding=r).reshape(n, -1, side * side, h * w)
            inside = F.unfold(torch.ones(1, 1, h, w), side, padding=r)  # [1, K, N]: 0 outside the map
            logits = (q.transpose(1, 2)[:, :, None, :] * unfold(k)).sum(1) / math.sqrt(d) + (inside - 1) * 1e9
            weights = torch.softmax(logits, 1)  # [n, K, N]
            context = (unfold(v) * weights[:, None]).sum(2)  # [n, c, N]
            context = context.reshape(n, c, h, w)
        else:
            weights = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), 2)
            context = (weights @ v).transpose(1, 2).reshape(n, c, h, w)
        return context * self.gamma + f

    def branches(self, xa, xb, backbone_grad=True):
        fa, fb = self.features(xa, xb, backbone_grad)
        if self.spec["ssam"]:
            fa, fb = torch.split(self.ssam(torch.cat([fa, fb])), fa.shape[0])
        return self.heads[0](fa), self.heads[1](fb)

    def loss_maps(self, cams, labels):
        maps = F.relu(cams[torch.arange(cams.shape[0]), labels])  # [n, h, w]
        if self.spec["loss"]["fuseNormalization"] == "bounded":
            peak = maps.amax((1, 2), keepdim=True).clamp(min=1).detach()
            return maps / peak
        lo, hi = maps.amin((1, 2), keepdim=True), maps.amax((1, 2), keepdim=True)
        return (maps - lo) / (hi - lo).clamp(min=1e-6)

    def loss(self, images, labels, mask_a, step):
        """Total loss and its terms for images [n, 3, H, W], labels [n], keep-masks [n, 1, H, W] (1: in x_A)."""
        L = self.spec["loss"]
        mu = self.spec["dropout"]["fillValue"]
        xa = images * mask_a + (1 - mask_a) * mu
        xb = images * (1 - mask_a) + mask_a * mu
        cams_a, cams_b = self.branches(xa, xb)
        logit = lambda cams: cams.mean((2, 3))
        terms = {"clsA": F.cross_entropy(logit(cams_a), labels), "clsB": F.cross_entropy(logit(cams_b), labels)}
        total = terms["clsA"] + terms["clsB"]
        logits = (logit(cams_a) + logit(cams_b)) / 2
        target = soft = None
        if L["lambdaFuse"] > 0:
            map_a, map_b = self.loss_maps(cams_a, labels), self.loss_maps(cams_b, labels)
            if L["fuseTarget"] == "union":
                soft = torch.maximum(map_a, map_b).detach()
            else:
                stride = mask_a.shape[2] // cams_a.shape[2]
                visible = F.avg_pool2d(mask_a, stride, stride)[:, 0]
                soft = (visible * map_a + (1 - visible) * map_b).detach()
            # The gate looks at the soft target; the loss may use its mask at a fraction of each peak.
            t = L.get("fuseTargetThreshold", 0)
            target = (soft >= soft.amax((1, 2), keepdim=True) * t).float() if t > 0 else soft

        def gate_for(lg):
            informative = (soft.amax((1, 2)) - soft.amin((1, 2)) >= 0.05).float()
            p_true = torch.softmax(lg, 1)[torch.arange(lg.shape[0]), labels].detach()
            return informative * (p_true >= L["fuseConfidence"]).float()

        def fusion(a, b, gate=None):
            per_image = (a - target).abs().mean((1, 2)) + (b - target).abs().mean((1, 2))
            return per_image.mean() if gate is None else (per_image * gate).sum() / gate.sum().clamp(min=1)

        fuse = None
        if L["fusion"] == "three-pass":
            full_a, full_b = self.branches(images, images, L["fullPassTrainsBackbone"])
            full_logits = (logit(full_a) + logit(full_b)) / 2
            terms["clsFull"] = F.cross_entropy(full_logits, labels)
            total = total + terms["clsFull"] * L["lambdaClsFull"]
            if target is not None:
                gate = gate_for(full_logits)
                maps_a, maps_b = self.loss_maps(full_a, labels), self.loss_maps(full_b, labels)
                fuse = fusion(maps_a, maps_b, gate)
                terms["fuseGate"] = gate.mean()
                terms["fuseGap"] = fusion(maps_a, maps_b).detach()
        elif target is not None:
            gate = gate_for(logits)
            fuse = fusion(map_a, map_b, gate)
            terms["fuseGate"] = gate.mean()
            terms["fuseGap"] = fusion(map_a, map_b).detach()
        if fuse is not None:
            terms["fuse"] = fuse
            warm = L["fuseWarmupSteps"]
            ramp = min(1, step / warm) if warm > 0 else 1
            if ramp > 0:
                total = total + fuse * (L["lambdaFuse"] * ramp)
        return total, terms

    def load_tfjs(self, weights):
        """Loads complementaryTwinWeights (tfjs layouts) into the modules."""
        as_tensor = lambda w: torch.tensor(w["values"], dtype=torch.float32).reshape(w["shape"])
        backbone = iter(weights["backbone"])
        for m in self.backbone:
            if isinstance(m, nn.Conv2d):
                m.weight.data = as_tensor(next(backbone)).permute(3, 2, 0, 1).contiguous()
                if m.bias is not None:
                    m.bias.data = as_tensor(next(backbone))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data, m.bias.data = as_tensor(next(backbone)), as_tensor(next(backbone))
                m.running_mean.data, m.running_var.data = as_tensor(next(backbone)), as_tensor(next(backbone))
        if next(backbone, None) is not None:
            raise ValueError("more backbone weights than the twin's layers take")
        for names, ws in ((("w1", "b1", "wa", "ba", "wb", "bb"), weights["caam"]), (("wq", "wk", "wv", "gamma"), weights["ssam"])):
            for name, w in zip(names, ws):
                getattr(self, name).data = as_tensor(w)
        for head, ws in zip(self.heads, (weights["headA"], weights["headB"])):
            conv, cam = head[0], head[2]
            conv.weight.data, conv.bias.data = as_tensor(ws[0]).permute(3, 2, 0, 1).contiguous(), as_tensor(ws[1])
            cam.weight.data, cam.bias.data = as_tensor(ws[2]).permute(3, 2, 0, 1).contiguous(), as_tensor(ws[3])


def random_masks(spec, n):
    """Keep-masks [n, 1, H, W] drawn like complementary-dropout.ts (for timing; the loss check gets its masks)."""
    size, d = spec["inputSize"], spec["dropout"]
    masks = torch.zeros(n, 1, size, size)
    for i in range(n):
        cell = max(1, round(random.choice(d["cellFractions"]) * size))
        cells = math.ceil(size / cell)
        while True:
            keep = (torch.rand(cells, cells) < d["keepProbability"]).float()
            if 0 < keep.sum() < keep.numel():
                break
        masks[i, 0] = keep.repeat_interleave(cell, 0).repeat_interleave(cell, 1)[:size, :size]
    return masks


def loss_from_file(path):
    with open(path) as f:
        job = json.load(f)
    spec = job["spec"]
    torch.set_num_threads(1)
    model = Complementary(spec)
    model.load_tfjs(job["weights"])
    model.train()
    n, size = len(job["labels"]), spec["inputSize"]
    images = torch.tensor(job["images"], dtype=torch.float32).reshape(n, size, size, 3).permute(0, 3, 1, 2)
    mask_a = torch.tensor(job["maskA"], dtype=torch.float32).reshape(n, 1, size, size)
    labels = torch.tensor(job["labels"])
    total, terms = model.loss(images, labels, mask_a, job["step"])
    return {"loss": total.item(), "terms": {k: v.item() for k, v in terms.items()}}
